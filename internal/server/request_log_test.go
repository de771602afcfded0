package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// lockedBuffer is a log destination the summary's timer and the test can
// share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Every request gets its line, except cloud API calls that succeeded: those
// are summed up in one line per window. Refused and failed cloud API calls
// keep their own lines, with the status the error handler sent.
func TestRequestLogSumsUpSuccessfulCloudAPICalls(t *testing.T) {
	var out lockedBuffer
	rl := newRequestLog(slog.New(slog.NewTextHandler(&out, nil)), 200*time.Millisecond)
	e := echo.New()
	e.Use(rl.middleware)
	ok := func(c echo.Context) error { return c.JSONBlob(http.StatusOK, []byte(`{}`)) }
	e.POST("/api/v2/devices/:d/sensors/:p/value", func(c echo.Context) error {
		if c.Request().Header.Get("Authorization") == "" {
			return echo.NewHTTPError(http.StatusUnauthorized, "no token")
		}
		return ok(c)
	})
	e.GET("/api/v2/devices", func(c echo.Context) error { return echo.NewHTTPError(http.StatusInternalServerError, "broken") })
	e.GET("/join", ok)
	e.GET("/healthz", ok)

	send := func(method, path string, token bool) int {
		t.Helper()
		req := httptest.NewRequest(method, path+"?token=secret", nil)
		if token {
			req.Header.Set("Authorization", "Bearer x")
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 3 {
		if code := send(http.MethodPost, "/api/v2/devices/ESPDEVICE/sensors/TC/value", true); code != 200 {
			t.Fatalf("value post: %d", code)
		}
	}
	if code := send(http.MethodPost, "/api/v2/devices/ESPDEVICE/sensors/TC/value", false); code != 401 {
		t.Fatalf("value post without a token: %d", code)
	}
	send(http.MethodGet, "/api/v2/devices", true)
	send(http.MethodGet, "/join", false)
	send(http.MethodGet, "/healthz", false)

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`level=INFO msg=http method=POST path=/api/v2/devices/ESPDEVICE/sensors/TC/value status=401 `,
		`level=ERROR msg=http method=GET path=/api/v2/devices status=500 `,
		`level=INFO msg=http method=GET path=/join status=200 `,
	}
	if len(lines) != len(want) {
		t.Fatalf("want %d lines before the summary, got:\n%s", len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: want %q in %q", i+1, w, lines[i])
		}
	}
	if strings.Contains(out.String(), "secret") {
		t.Errorf("the query string reached the log:\n%s", out.String())
	}

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "calls answered") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	summary := regexp.MustCompile(`level=INFO msg="http cloud api calls answered" calls=(\d+) slowest=\S+ window=\S+`).FindStringSubmatch(out.String())
	if summary == nil || summary[1] != "3" {
		t.Fatalf("want a summary of the 3 successful calls, got:\n%s", out.String())
	}

	// Quiet again: no timer, no empty summary; a new call opens a new window.
	before := strings.Count(out.String(), "\n")
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(out.String(), "\n"); n != before {
		t.Fatalf("a summary without calls:\n%s", out.String())
	}
	send(http.MethodPost, "/api/v2/devices/ESPDEVICE/sensors/TC/value", true)
	rl.summarize() // as Server.Close does at shutdown
	if !strings.Contains(out.String(), "calls=1 ") {
		t.Fatalf("the last window was not summed up at close:\n%s", out.String())
	}
}
