package abuse

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Learner is a well-behaved learner of a classroom: one browser (a cookie,
// keep-alive connections) on a source address of its own.
type Learner struct {
	base   string
	client *http.Client
	slow   io.Writer // told about each request that takes over a second
}

// Join enters the class at base (http://host:port) as name, from src, the
// way the join form does.
func Join(ctx context.Context, base string, src netip.Addr, name string, slow io.Writer) (*Learner, error) {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialFrom(ctx, src, addr)
		},
		MaxIdleConnsPerHost: 6, // as a browser keeps
	}
	l := &Learner{base: strings.TrimRight(base, "/"), slow: slow, client: &http.Client{
		Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	form := url.Values{"name": {name}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/join", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("join: %s: %.200s", resp.Status, body)
	}
	return l, nil
}

// Close drops the learner's idle connections.
func (l *Learner) Close() { l.client.CloseIdleConnections() }

// Get loads path (a section page) and returns how long the whole page took.
func (l *Learner) Get(ctx context.Context, path string) (time.Duration, error) {
	return l.do(ctx, http.MethodGet, path, "text/html")
}

// Check presses an exercise's Check button (POST path) and returns how long
// the answer took.
func (l *Learner) Check(ctx context.Context, path string) (time.Duration, error) {
	return l.do(ctx, http.MethodPost, path, `"passed"`)
}

func (l *Learner) do(ctx context.Context, method, path, want string) (time.Duration, error) {
	start := time.Now()
	var connected time.Duration // time to get a connection: 0 when a kept-alive one was reused
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if !i.Reused {
			connected = time.Since(start)
		}
	}})
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return time.Since(start), err
	}
	if d := time.Since(start); d > time.Second {
		fmt.Fprintf(l.slow, "slow: %s %s took %v (new connection: %v, connected after %v)\n", method, path, d.Round(time.Millisecond), connected > 0, connected.Round(time.Millisecond))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	if resp.StatusCode != http.StatusOK {
		return took, fmt.Errorf("%s %s: %s: %.200s", method, path, resp.Status, body)
	}
	if !strings.Contains(string(body)+resp.Header.Get("Content-Type"), want) {
		return took, fmt.Errorf("%s %s: answer without %s: %.200s", method, path, want, body)
	}
	return took, nil
}

// Timings collects a learner's measurements, safe for use by several
// goroutines.
type Timings struct {
	mu     sync.Mutex
	ok     []time.Duration
	errors []string
}

// Add records one measurement.
func (t *Timings) Add(d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errors = append(t.errors, err.Error())
		return
	}
	t.ok = append(t.ok, d)
}

// Summary is what Timings measured.
type Summary struct {
	N, Failed     int
	P50, P99, Max time.Duration
	FirstError    string
}

// Summary returns the count, percentiles and failures so far.
func (t *Timings) Summary() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Summary{N: len(t.ok), Failed: len(t.errors)}
	if len(t.errors) > 0 {
		s.FirstError = t.errors[0]
	}
	if len(t.ok) == 0 {
		return s
	}
	d := slices.Clone(t.ok)
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	s.P50, s.P99, s.Max = at(0.50), at(0.99), d[len(d)-1]
	return s
}

func (s Summary) String() string {
	out := fmt.Sprintf("%d ok, %d failed, p50 %v, p99 %v, max %v", s.N, s.Failed,
		s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.Max.Round(time.Millisecond))
	if s.FirstError != "" {
		out += " (first failure: " + s.FirstError + ")"
	}
	return out
}
