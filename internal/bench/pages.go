package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The pages mode (issue 11, goal 4): a courselab server (personal, then
// classroom with one joined learner) and Go's http.FileServer serving the
// bytes of the same section page, each in its own process, both running;
// the same closed-loop load goes to one, then the other, round after round
// (A, B, B, A…). Server CPU per request comes from /proc/PID/stat over each
// load. The start mode (goal 5) is in start.go.

// benchPage is the section measured: it has lab placeholders, so in a
// classroom it is the per-learner cached kind.
const benchPage = "/courses/mqtt_course/hands-on-task-mqtt-application"

var anchorFilesAddr = regexp.MustCompile(`^anchor file server listening on (\S+)$`)

// ServeAnchorFiles runs the pages anchor: net/http's FileServer over dir on
// addr, nothing else, until ctx ends. It prints "anchor file server
// listening on HOST:PORT" to w once it accepts connections.
func ServeAnchorFiles(ctx context.Context, dir, addr string, w io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("anchor file server: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(w, "anchor file server listening on %s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// startServe starts exe serve on loopback (classroom or personal) with its
// own data folder; ready is the "serving" log line.
// With profile set it writes profile+".cpu.pprof" and ".heap.pprof".
func startServe(ctx context.Context, exe string, classroom bool, port int, profile string) (*process, error) {
	data, err := os.MkdirTemp("", "courselab-bench-")
	if err != nil {
		return nil, err
	}
	httpAddr, mqttAddr := "127.0.0.1:0", "127.0.0.1:0"
	if port > 0 {
		httpAddr, mqttAddr = fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)
	}
	args := []string{"serve", "--addr", httpAddr, "--mqtt-addr", mqttAddr, "--data", data}
	if classroom {
		args = append(args, "--classroom", "--instructor-token", "bench-instructor")
	}
	var env []string
	if profile != "" {
		env = []string{"COURSELAB_CPU_PROFILE=" + profile + ".cpu.pprof", "COURSELAB_HEAP_PROFILE=" + profile + ".heap.pprof"}
	}
	p, m, err := startProcess(ctx, "courselab", exe, args, env, servingAddr)
	if err != nil {
		os.RemoveAll(data)
		return nil, err
	}
	p.base, p.mqtt, p.data = "http://"+m[1], m[2], data
	return p, nil
}

func modeName(classroom bool) string {
	if classroom {
		return "classroom"
	}
	return "personal"
}

// pageLoad is one load on one server: requests sent and the server CPU
// they cost.
type pageLoad struct {
	requests int64
	cpu      float64 // seconds
	seconds  float64
}

func (l pageLoad) cpuPerRequest() float64 { return l.cpu / float64(l.requests) * 1e6 } // µs

// loadPage sends n GETs of url from clients keep-alive connections as fast
// as the server answers, checking that each body has want's length.
func loadPage(ctx context.Context, p *process, web *http.Client, url string, n, clients, want int) (pageLoad, error) {
	cpu0, err := p.cpuSeconds()
	if err != nil {
		return pageLoad{}, err
	}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	buf := make([][]byte, clients)
	for w := range clients {
		buf[w] = make([]byte, 64<<10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fetchPage(ctx, web, url, want, buf[w]); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if firstErr != nil {
		return pageLoad{}, fmt.Errorf("%s: %w", p.name, firstErr)
	}
	cpu1, err := p.cpuSeconds()
	if err != nil {
		return pageLoad{}, err
	}
	return pageLoad{requests: int64(n), cpu: cpu1 - cpu0, seconds: secs}, nil
}

func fetchPage(ctx context.Context, web *http.Client, url string, want int, buf []byte) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := web.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got := 0
	for {
		k, err := resp.Body.Read(buf)
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if resp.StatusCode != http.StatusOK || got != want {
		return fmt.Errorf("GET %s: %s, %d bytes (want 200 and %d bytes)", url, resp.Status, got, want)
	}
	return nil
}

// runPages measures goal 4 in personal and classroom mode.
func runPages(ctx context.Context, o Options, w io.Writer) error {
	for _, classroom := range []bool{false, true} {
		fmt.Fprintf(w, "\n## Cached section page %s, %s mode: %d requests per run from %d keep-alive connections (anchor: http.FileServer, same bytes)\n\n",
			benchPage, modeName(classroom), o.PageRequests, o.PageClients)
		if err := runPagesMode(ctx, o, classroom, w); err != nil {
			return err
		}
	}
	return nil
}

func runPagesMode(ctx context.Context, o Options, classroom bool, w io.Writer) error {
	profile := ""
	if o.ProfileDir != "" {
		profile = filepath.Join(o.ProfileDir, "pages-"+modeName(classroom))
	}
	cl, err := startServe(ctx, o.Exe, classroom, o.PortBase, profile)
	if err != nil {
		return err
	}
	defer cl.stop()
	tr := &http.Transport{MaxIdleConnsPerHost: o.PageClients, MaxConnsPerHost: o.PageClients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	web := &http.Client{Transport: tr}
	if classroom {
		l, err := join(ctx, cl.base, "Bench reader")
		if err != nil {
			return err
		}
		web.Jar = l.web.Jar
		l.web.CloseIdleConnections()
	}
	resp, err := web.Get(cl.base + benchPage)
	if err != nil {
		return err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("courselab %s: %s %v", benchPage, resp.Status, err)
	}
	dir, err := os.MkdirTemp("", "courselab-bench-files-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "page.html"), page, 0o644); err != nil {
		return err
	}
	addr := "127.0.0.1:0"
	if o.PortBase > 0 {
		addr = fmt.Sprintf("127.0.0.1:%d", o.PortBase+3)
	}
	fa, m, err := startProcess(ctx, "fileserver", o.Exe, []string{"bench", "--anchor-files", dir, "--anchor-addr", addr}, nil, anchorFilesAddr)
	if err != nil {
		return err
	}
	defer fa.stop()
	targets := []struct {
		p   *process
		url string
	}{{fa, "http://" + m[1] + "/page.html"}, {cl, cl.base + benchPage}}
	// Warm both: connections, caches.
	for _, t := range targets {
		if _, err := loadPage(ctx, t.p, web, t.url, 200, o.PageClients, len(page)); err != nil {
			return err
		}
	}
	var ratios []float64
	var cpus [2][]float64
	for round := range o.Rounds {
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		var got [2]pageLoad
		for _, i := range order {
			t := targets[i]
			l, err := loadPage(ctx, t.p, web, t.url, o.PageRequests, o.PageClients, len(page))
			if err != nil {
				return err
			}
			got[i] = l
			cpus[i] = append(cpus[i], l.cpuPerRequest())
			fmt.Fprintf(w, "round %d %-10s %6.0f req/s, server CPU %.2f s, %.1f µs per request\n",
				round+1, t.p.name, float64(l.requests)/l.seconds, l.cpu, l.cpuPerRequest())
		}
		if got[0].cpu > 0 {
			ratios = append(ratios, got[1].cpuPerRequest()/got[0].cpuPerRequest())
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n| measure\t| courselab\t| FileServer\t| ratio\t|\n|---\t|---\t|---\t|---\t|\n")
	fmt.Fprintf(tw, "| server CPU per request (%d bytes)\t| %.1f µs\t| %.1f µs\t| %s\t|\n", len(page), median(cpus[1]), median(cpus[0]), ratioText(ratios))
	tw.Flush()
	fmt.Fprintln(w, "(medians over the rounds; ratio: median of courselab / FileServer in the same round, then the range)")
	return nil
}
