package labs

import (
	"net/http"

	"github.com/coder/websocket"
)

// ServeHTTP serves MQTT over WebSocket (GET /mqtt, subprotocol "mqtt",
// binary frames), which is what MQTT.js uses in a browser. It returns when
// the MQTT connection ends.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{"mqtt", "mqttv3.1"},
		// Learners open their own pages (file://, another port) that connect
		// here; MQTT credentials, not the Origin, decide who gets in.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has already written the HTTP error
	}
	// One WebSocket message may carry a whole MQTT packet; allow the largest
	// packet the broker accepts (the default read limit is 32 KiB).
	ws.SetReadLimit(int64(f.labs.cfg.Limits.PacketSize) + 16)
	conn := websocket.NetConn(r.Context(), ws, websocket.MessageBinary)
	f.serveConn(conn, TransportWS)
}
