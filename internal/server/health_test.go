package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStartGateAnswersHealthAtOnceAndHoldsPagesUntilReady: while the
// catalog loads, /healthz says the process is alive and starting, /readyz
// keeps HAProxy away, and a page waits for the server instead of failing.
func TestStartGateAnswersHealthAtOnceAndHoldsPagesUntilReady(t *testing.T) {
	g := NewStartGate()
	ts := httptest.NewServer(g)
	defer ts.Close()
	if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK || !strings.Contains(r.body, `"starting"`) {
		t.Errorf("/healthz while starting: %d %s, want 200 starting", r.status, r.body)
	}
	if r := get(t, ts.URL+"/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, `"starting"`) {
		t.Errorf("/readyz while starting: %d %s, want 503 starting", r.status, r.body)
	}
	page := make(chan response, 1)
	go func() {
		resp, err := http.Get(ts.URL + "/courses/x")
		if err != nil {
			page <- response{}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page <- response{resp.StatusCode, resp.Header, string(b)}
	}()
	select {
	case r := <-page:
		t.Fatalf("a page was answered before the server was ready: %d", r.status)
	case <-time.After(100 * time.Millisecond):
	}
	g.Ready(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "served "+r.URL.Path) }))
	if r := <-page; r.status != http.StatusOK || r.body != "served /courses/x" {
		t.Errorf("the waiting page: %d %q, want it served once ready", r.status, r.body)
	}
	if r := get(t, ts.URL+"/readyz"); r.body != "served /readyz" {
		t.Errorf("/readyz once ready: %q, want the server's answer", r.body)
	}
}

// TestStartGateTellsALatePageToRetry: a page that waited longer than the
// gate's wait gets a 503 that says to retry, as HTML or, for the API, JSON.
func TestStartGateTellsALatePageToRetry(t *testing.T) {
	g := NewStartGate()
	g.wait = 10 * time.Millisecond
	ts := httptest.NewServer(g)
	defer ts.Close()
	r := get(t, ts.URL+"/courses/x")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "starting") ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("page while loading: %d %v %s", r.status, r.header, r.body)
	}
	r = get(t, ts.URL+"/api/lab")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, `"error"`) {
		t.Errorf("API while loading: %d %s", r.status, r.body)
	}
}
