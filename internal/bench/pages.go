package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// The pages and start modes (issue 11, goals 4 and 5).
//
// pages: a courselab server (personal, then classroom with one joined
// learner) and Go's http.FileServer serving the bytes of the same section
// page, each in its own process, both running; the same closed-loop load
// goes to one, then the other, round after round (A, B, B, A…). Server CPU
// per request comes from /proc/PID/stat over each load.
//
// start: exec → first 200 from /healthz (and from /readyz, and a section
// page), with RSS at each, against the anchor broker's exec → first
// CONNACK, alternating which starts first.

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

// startTimes is what one start measured.
type startTimes struct {
	health, ready, page time.Duration // exec → first 200 from /healthz, /readyz, a section page
	rssHealth, rssReady float64       // MiB at those moments
}

// runStarts measures goal 5: exec → answering, and memory then, for
// courselab (personal mode, a data folder made by a first start) and the
// anchor broker (exec → first CONNACK), alternating.
func runStarts(ctx context.Context, o Options, w io.Writer) error {
	fmt.Fprintf(w, "\n## Start: exec → first 200 from /healthz, /readyz and %s (anchor: mochi-mqtt re-exec → first CONNACK), %d starts each\n\n", benchPage, o.Starts)
	data, err := os.MkdirTemp("", "courselab-bench-start-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	// A first start makes the database and the secret: a restart is measured.
	ports, err := portsFor(o.PortBase)
	if err != nil {
		return err
	}
	if _, err := startOnce(ctx, o.Exe, data, ports[0], ports[1]); err != nil {
		return err
	}
	var cl []startTimes
	var an []time.Duration
	var anRSS []float64
	for i := range o.Starts {
		order := []bool{false, true}
		if i%2 == 1 {
			order = []bool{true, false}
		}
		for _, courselab := range order {
			ports, err := portsFor(o.PortBase)
			if err != nil {
				return err
			}
			if courselab {
				t, err := startOnce(ctx, o.Exe, data, ports[0], ports[1])
				if err != nil {
					return err
				}
				cl = append(cl, t)
				fmt.Fprintf(w, "start %d courselab  /healthz %s (RSS %.1f MiB), /readyz %s (RSS %.1f MiB), page %s\n",
					i+1, ms(t.health), t.rssHealth, ms(t.ready), t.rssReady, ms(t.page))
				continue
			}
			d, rss, err := startAnchorOnce(ctx, o.Exe, ports[2])
			if err != nil {
				return err
			}
			an, anRSS = append(an, d), append(anRSS, rss)
			fmt.Fprintf(w, "start %d mochi      CONNACK %s (RSS %.1f MiB)\n", i+1, ms(d), rss)
		}
	}
	col := func(f func(startTimes) float64) []float64 {
		var v []float64
		for _, t := range cl {
			v = append(v, f(t))
		}
		return v
	}
	ratio := func(a, b []float64) string {
		var r []float64
		for i := range a {
			if b[i] > 0 {
				r = append(r, a[i]/b[i])
			}
		}
		return ratioText(r)
	}
	anMs := make([]float64, len(an))
	for i, d := range an {
		anMs[i] = float64(d) / 1e6
	}
	health := col(func(t startTimes) float64 { return float64(t.health) / 1e6 })
	ready := col(func(t startTimes) float64 { return float64(t.ready) / 1e6 })
	page := col(func(t startTimes) float64 { return float64(t.page) / 1e6 })
	rssH := col(func(t startTimes) float64 { return t.rssHealth })
	rssR := col(func(t startTimes) float64 { return t.rssReady })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n| measure\t| courselab\t| mochi\t| ratio\t|\n|---\t|---\t|---\t|---\t|\n")
	fmt.Fprintf(tw, "| exec → /healthz 200\t| %.1f ms\t| %.1f ms\t| %s\t|\n", median(health), median(anMs), ratio(health, anMs))
	fmt.Fprintf(tw, "| exec → /readyz 200 (catalog loaded)\t| %.1f ms\t| %.1f ms\t| %s\t|\n", median(ready), median(anMs), ratio(ready, anMs))
	fmt.Fprintf(tw, "| exec → section page 200\t| %.1f ms\t| —\t| —\t|\n", median(page))
	fmt.Fprintf(tw, "| RSS at /healthz 200\t| %.1f MiB\t| %.1f MiB\t| %s\t|\n", median(rssH), median(anRSS), ratio(rssH, anRSS))
	fmt.Fprintf(tw, "| RSS at /readyz 200\t| %.1f MiB\t| %.1f MiB\t| %s\t|\n", median(rssR), median(anRSS), ratio(rssR, anRSS))
	tw.Flush()
	fmt.Fprintln(w, "(medians over the starts; ratio: median of courselab / mochi of the same pair, then the range)")
	return nil
}

// freePorts returns n loopback ports free right now, for servers that
// must be polled before they can say where they listen. Ports are picked
// again for every start: between two starts another program may take one.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// portsFor returns the HTTP, MQTT and anchor ports of one start: from
// base when set, else free ones.
func portsFor(base int) ([]int, error) {
	if base > 0 {
		return []int{base, base + 1, base + 2}, nil
	}
	return freePorts(3)
}

// startOnce execs courselab serve on data and polls until it answers.
func startOnce(ctx context.Context, exe, data string, httpPort, mqttPort int) (startTimes, error) {
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	cmd := exec.Command(exe, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--mqtt-addr", fmt.Sprintf("127.0.0.1:%d", mqttPort), "--data", data)
	cmd.Env = withoutCourselabSettings(os.Environ())
	var logs tail
	cmd.Stdout, cmd.Stderr = lineWriter{&logs}, lineWriter{&logs}
	web := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return startTimes{}, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	p := &process{cmd: cmd}
	var t startTimes
	for _, step := range []struct {
		path string
		at   *time.Duration
		rss  *float64
	}{{"/healthz", &t.health, &t.rssHealth}, {"/readyz", &t.ready, &t.rssReady}, {benchPage, &t.page, nil}} {
		for {
			if ok := get200(ctx, web, base+step.path, step.path == "/readyz"); ok {
				*step.at = time.Since(t0)
				if step.rss != nil {
					*step.rss = p.rssMiB()
				}
				break
			}
			select {
			case <-done:
				return t, fmt.Errorf("courselab exited while starting:\n%s", logs.String())
			case <-ctx.Done():
				return t, ctx.Err()
			default:
			}
			if time.Since(t0) > 20*time.Second {
				return t, fmt.Errorf("courselab did not answer %s within 20 s:\n%s", step.path, logs.String())
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	return t, nil
}

// get200 reports whether url answers 200 (or 404 when notFoundOK: a
// server from before /readyz existed answered /healthz only once ready).
func get200(ctx context.Context, web *http.Client, url string, notFoundOK bool) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := web.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK || notFoundOK && resp.StatusCode == http.StatusNotFound
}

// startAnchorOnce execs the anchor broker and polls until an MQTT client
// gets its CONNACK.
func startAnchorOnce(ctx context.Context, exe string, port int) (time.Duration, float64, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe, "bench", "--anchor-broker", "--anchor-addr", addr)
	cmd.Env = withoutCourselabSettings(os.Environ())
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	l := &learner{user: "start-probe"}
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := dial(cctx, addr, l, "probe", nil)
		cancel()
		if err == nil {
			d := time.Since(t0)
			rss := (&process{cmd: cmd}).rssMiB()
			_ = c.Disconnect(&paho.Disconnect{})
			return d, rss, nil
		}
		select {
		case <-done:
			return 0, 0, errors.New("anchor broker exited while starting")
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		default:
		}
		if time.Since(t0) > 20*time.Second {
			return 0, 0, fmt.Errorf("anchor broker did not answer within 20 s: %v", err)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// lineWriter keeps a child's output lines in a tail.
type lineWriter struct{ t *tail }

func (lw lineWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		lw.t.add(line)
	}
	return len(b), nil
}
