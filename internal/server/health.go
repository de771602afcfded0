package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// healthTimeout bounds the database check, so a hung database fails the
// health check instead of hanging it.
const healthTimeout = 2 * time.Second

// healthShow answers /healthz and /readyz once the server is built: the
// process serves HTTP, has a catalog, and its database answers. A node
// whose database is gone answers 503, so HAProxy sends its learners to
// nodes that can record their progress. While the process is still
// starting, StartGate answers both instead (/healthz 200 "starting",
// /readyz 503).
func (s *Server) healthShow(c echo.Context) error {
	cat := s.courses.Catalog()
	ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health check: database does not answer", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "database unavailable", "courses": len(cat.Courses)})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "courses": len(cat.Courses)})
}

// StartGate is the HTTP handler of a process that listens before it has
// loaded its catalog and opened its database, so that it answers within
// milliseconds of starting:
//
//   - /healthz answers 200 {"status":"starting"}: the process is alive (a
//     container's liveness check passes);
//   - /readyz answers 503 {"status":"starting"}: not ready for learners
//     (HAProxy and a Kubernetes readiness probe check /readyz, so no
//     learner is routed to a node that could only say "loading");
//   - any other request waits for the server, up to the gate's wait, and
//     then gets a 503 "loading, retry" with Retry-After.
//
// Once Ready is called every request goes to the server's handler.
type StartGate struct {
	ready   chan struct{}
	handler http.Handler // set before ready is closed
	wait    time.Duration
}

// startWait is how long a page asked for while the server starts waits
// for it before being told to retry.
const startWait = 3 * time.Second

// NewStartGate makes a gate that is not ready yet.
func NewStartGate() *StartGate {
	return &StartGate{ready: make(chan struct{}), wait: startWait}
}

// Ready hands every request, from now on, to h. Call it once.
func (g *StartGate) Ready(h http.Handler) {
	g.handler = h
	close(g.ready)
}

func (g *StartGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-g.ready:
		g.handler.ServeHTTP(w, r)
		return
	default:
	}
	switch r.URL.Path {
	case "/healthz":
		startingJSON(w, http.StatusOK)
		return
	case "/readyz":
		startingJSON(w, http.StatusServiceUnavailable)
		return
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case <-g.ready:
		g.handler.ServeHTTP(w, r)
	case <-t.C:
		loading(w, r)
	case <-r.Context().Done():
	}
}

func startingJSON(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", echo.MIMEApplicationJSON)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"status":"starting"}` + "\n"))
}

// loading tells a request that came too early to retry in a second: JSON
// under /api/, else a small page that reloads itself.
func loading(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Retry-After", "1")
	h.Set("Cache-Control", "no-store")
	const msg = "courselab is starting and still loading its courses. Try again in a second."
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Content-Type", echo.MIMEApplicationJSON)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"` + msg + `"}` + "\n"))
		return
	}
	h.Set("Content-Type", echo.MIMETextHTMLCharsetUTF8)
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(loadingPage))
	}
}

const loadingPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Starting — courselab</title></head>
<body><main><h1>Starting</h1><p>courselab is starting and still loading its courses. This page reloads by itself in a second.</p></main></body></html>
`
