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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// The start mode (issue 11, goal 5): exec → first 200 from /healthz (and
// from /readyz, and a section page) of courselab in personal mode, with
// the CPU the process used until then and its memory, against the anchor
// broker's exec → first CONNACK, alternating which starts first.

// startPoint is one moment of a start: when it came after exec, the CPU
// time all the process's threads had used by then and the time they had
// waited for a core, and the process's memory then.
type startPoint struct {
	at, cpu, wait time.Duration
	mem           memory
}

// pointNow measures p at, the time since its exec.
func pointNow(p *process, at time.Duration) startPoint {
	cpu, wait := p.schedTimes()
	return startPoint{at: at, cpu: cpu, wait: wait, mem: p.memory()}
}

// startTimes is what one start of courselab measured.
type startTimes struct {
	health, ready startPoint    // first 200 from /healthz, from /readyz
	page          time.Duration // exec → first 200 from a section page
}

// runStarts measures goal 5 for courselab (personal mode, a data folder
// made by a first start, so a restart is measured) and the anchor broker.
func runStarts(ctx context.Context, o Options, w io.Writer) error {
	fmt.Fprintf(w, "\n## Start: exec → first 200 from /healthz, /readyz and %s (anchor: mochi-mqtt re-exec → first CONNACK), %d starts each\n\n", benchPage, o.Starts)
	data, err := os.MkdirTemp("", "courselab-bench-start-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	ports, err := portsFor(o.PortBase)
	if err != nil {
		return err
	}
	if _, err := startOnce(ctx, o.Exe, data, ports[0], ports[1]); err != nil {
		return err
	}
	var cl []startTimes
	var an []startPoint
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
				fmt.Fprintf(w, "start %d courselab  /healthz %s (CPU %s, waited %s, RSS %.1f MiB), /readyz %s (CPU %s, RSS %.1f MiB), page %s\n",
					i+1, ms(t.health.at), ms(t.health.cpu), ms(t.health.wait), t.health.mem.rss,
					ms(t.ready.at), ms(t.ready.cpu), t.ready.mem.rss, ms(t.page))
				continue
			}
			pt, err := startAnchorOnce(ctx, o.Exe, ports[2])
			if err != nil {
				return err
			}
			an = append(an, pt)
			fmt.Fprintf(w, "start %d mochi      CONNACK %s (CPU %s, waited %s, RSS %.1f MiB)\n", i+1, ms(pt.at), ms(pt.cpu), ms(pt.wait), pt.mem.rss)
		}
	}
	type row struct {
		name      string
		courselab func(startTimes) float64
		mochi     func(startPoint) float64 // nil: no anchor figure
		unit      string
	}
	msOf := func(d time.Duration) float64 { return float64(d) / 1e6 }
	rows := []row{
		{"exec → /healthz 200", func(t startTimes) float64 { return msOf(t.health.at) }, func(p startPoint) float64 { return msOf(p.at) }, "ms"},
		{"  CPU used by then (all threads)", func(t startTimes) float64 { return msOf(t.health.cpu) }, func(p startPoint) float64 { return msOf(p.cpu) }, "ms"},
		{"  waited for a core by then", func(t startTimes) float64 { return msOf(t.health.wait) }, func(p startPoint) float64 { return msOf(p.wait) }, "ms"},
		{"  wall minus the wait", func(t startTimes) float64 { return msOf(t.health.at - t.health.wait) }, func(p startPoint) float64 { return msOf(p.at - p.wait) }, "ms"},
		{"exec → /readyz 200 (catalog loaded)", func(t startTimes) float64 { return msOf(t.ready.at) }, func(p startPoint) float64 { return msOf(p.at) }, "ms"},
		{"  CPU used by then", func(t startTimes) float64 { return msOf(t.ready.cpu) }, func(p startPoint) float64 { return msOf(p.cpu) }, "ms"},
		{"exec → section page 200", func(t startTimes) float64 { return msOf(t.page) }, nil, "ms"},
		{"RSS at /healthz 200", func(t startTimes) float64 { return t.health.mem.rss }, func(p startPoint) float64 { return p.mem.rss }, "MiB"},
		{"RSS at /readyz 200", func(t startTimes) float64 { return t.ready.mem.rss }, func(p startPoint) float64 { return p.mem.rss }, "MiB"},
		{"  of which anonymous (heap, stacks)", func(t startTimes) float64 { return t.ready.mem.anon }, func(p startPoint) float64 { return p.mem.anon }, "MiB"},
		{"  of which the executable's pages", func(t startTimes) float64 { return t.ready.mem.file }, func(p startPoint) float64 { return p.mem.file }, "MiB"},
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n| measure\t| courselab\t| mochi\t| ratio\t|\n|---\t|---\t|---\t|---\t|\n")
	for _, r := range rows {
		var a, b, ratios []float64
		for i, t := range cl {
			a = append(a, r.courselab(t))
			if r.mochi != nil && i < len(an) {
				b = append(b, r.mochi(an[i]))
				if b[i] > 0 {
					ratios = append(ratios, a[i]/b[i])
				}
			}
		}
		if r.mochi == nil {
			fmt.Fprintf(tw, "| %s\t| %.1f %s\t| —\t| —\t|\n", r.name, median(a), r.unit)
			continue
		}
		fmt.Fprintf(tw, "| %s\t| %.1f %s\t| %.1f %s\t| %s\t|\n", r.name, median(a), r.unit, median(b), r.unit, ratioText(ratios))
	}
	tw.Flush()
	fmt.Fprintln(w, "(medians over the starts; ratio: median of courselab / mochi of the same pair, then the range;")
	fmt.Fprintln(w, " CPU and waits from /proc/PID/task/*/schedstat; the anchor is this binary re-executed, so it runs the same package init)")
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
	t0, done, stop, err := startStoppable(cmd)
	if err != nil {
		return startTimes{}, err
	}
	defer stop()
	p := &process{cmd: cmd}
	var t startTimes
	for _, step := range []struct {
		path  string
		point *startPoint
		at    *time.Duration
	}{{"/healthz", &t.health, nil}, {"/readyz", &t.ready, nil}, {benchPage, nil, &t.page}} {
		for {
			if ok := get200(ctx, web, base+step.path, step.path == "/readyz"); ok {
				at := time.Since(t0)
				if step.point != nil {
					*step.point = pointNow(p, at)
				} else {
					*step.at = at
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
func startAnchorOnce(ctx context.Context, exe string, port int) (startPoint, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(exe, "bench", "--anchor-broker", "--anchor-addr", addr)
	cmd.Env = withoutCourselabSettings(os.Environ())
	t0, done, stop, err := startStoppable(cmd)
	if err != nil {
		return startPoint{}, err
	}
	defer stop()
	l := &learner{user: "start-probe"}
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := dial(cctx, addr, l, "probe", nil)
		cancel()
		if err == nil {
			pt := pointNow(&process{cmd: cmd}, time.Since(t0))
			_ = c.Disconnect(&paho.Disconnect{})
			return pt, nil
		}
		select {
		case <-done:
			return startPoint{}, errors.New("anchor broker exited while starting")
		case <-ctx.Done():
			return startPoint{}, ctx.Err()
		default:
		}
		if time.Since(t0) > 20*time.Second {
			return startPoint{}, fmt.Errorf("anchor broker did not answer within 20 s: %v", err)
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

// startStoppable starts cmd and returns when it started, a channel closed
// when it has ended, and stop: an interrupt, then a kill if it has not
// ended within 5 s.
func startStoppable(cmd *exec.Cmd) (started time.Time, done <-chan struct{}, stop func(), err error) {
	started = time.Now()
	if err := cmd.Start(); err != nil {
		return started, nil, nil, err
	}
	ended := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ended) }()
	return started, ended, func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-ended
		}
	}, nil
}
