package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// CloudAPISummaryEvery is how often the request log sums up the cloud API
// calls that it does not log one by one.
const CloudAPISummaryEvery = time.Minute

// requestLog writes one slog line per request ("http": method, path,
// status, latency, remote address; never the query string, which may carry
// tokens), at ERROR for a 5xx, INFO otherwise.
//
// The simulated cloud's API is the exception: devices and learners' scripts
// post sensor values there many times a second, every call is already in
// the learner's lab journal, and the line (formatted and written to
// stderr) was about a twentieth of such a call's CPU. So a cloud API call
// that succeeded (status below 400) is only counted, and one line per
// window ("http cloud api calls answered") sums them up: calls, the
// slowest, the window. Refused and failed cloud API calls are logged one
// by one, as every other request.
type requestLog struct {
	log    *slog.Logger
	window time.Duration

	mu      sync.Mutex
	calls   int           // cloud API calls answered < 400 since the last summary
	slowest time.Duration // the slowest of them
	since   time.Time     // when the first of them was counted
}

func newRequestLog(log *slog.Logger, window time.Duration) *requestLog {
	return &requestLog{log: log, window: window}
}

// middleware logs each request once its response is known. It hands an
// error to echo's error handler first (as echo's RequestLogger does with
// HandleError), so that the status logged is the status sent.
func (l *requestLog) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return next(c)
		}
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		latency := time.Since(start)
		status := c.Response().Status
		if status < 400 && strings.HasPrefix(r.URL.Path, cloudAPIPath+"/") {
			l.count(latency)
			return err
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		path := r.URL.Path
		if path == "" {
			path = "/"
		}
		l.log.LogAttrs(r.Context(), level, "http",
			slog.String("method", r.Method),
			slog.String("path", path),
			slog.Int("status", status),
			slog.Duration("latency", latency),
			slog.String("remote", c.RealIP()),
		)
		return err
	}
}

// count adds a quiet cloud API call to the window, opening the window (and
// timing its summary) on the first call: no timer runs while nobody calls.
func (l *requestLog) count(latency time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == 0 {
		l.since = time.Now()
		time.AfterFunc(l.window, l.summarize)
	}
	l.calls++
	l.slowest = max(l.slowest, latency)
}

// summarize writes the window's line and closes the window; the server's
// Close calls it too, so that a shutdown does not lose the last window.
func (l *requestLog) summarize() {
	l.mu.Lock()
	calls, slowest, since := l.calls, l.slowest, l.since
	l.calls, l.slowest = 0, 0
	l.mu.Unlock()
	if calls == 0 {
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelInfo, "http cloud api calls answered",
		slog.Int("calls", calls),
		slog.Duration("slowest", slowest),
		slog.Duration("window", time.Since(since).Round(time.Millisecond)),
	)
}
