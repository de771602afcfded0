package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// dialMQTT opens /mqtt as a browser on the page origin would, and returns
// the HTTP status of the handshake.
func dialMQTT(t *testing.T, ts *testServer, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/mqtt",
		&websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: h})
	if err == nil {
		ws.CloseNow()
	}
	if resp == nil {
		t.Fatalf("dial /mqtt with Origin %q: %v", origin, err)
	}
	return resp.StatusCode
}

func TestMQTTOverWebSocketRefusesOtherSites(t *testing.T) {
	personal := newTestServer(t, false)
	classroom := newTestServer(t, true)
	cases := []struct {
		ts     *testServer
		origin string
		want   int
	}{
		{personal, "", http.StatusSwitchingProtocols},           // not a browser
		{personal, personal.URL, http.StatusSwitchingProtocols}, // the server's own page
		{personal, "http://localhost:5500", http.StatusSwitchingProtocols},
		{personal, "http://127.0.0.1:8000", http.StatusSwitchingProtocols},
		{personal, "https://evil.example", http.StatusForbidden},
		{personal, "http://localhost.evil.example", http.StatusForbidden},
		{personal, "null", http.StatusForbidden},
		{classroom, "https://evil.example", http.StatusForbidden},
		{classroom, "null", http.StatusSwitchingProtocols}, // a page opened from a file; the password decides
	}
	for _, c := range cases {
		if got := dialMQTT(t, c.ts, c.origin); got != c.want {
			t.Errorf("classroom %v, Origin %q: %d, want %d", c.ts.cfg.Classroom, c.origin, got, c.want)
		}
	}
}
