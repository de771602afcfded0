package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// process is a server the bench started: courselab in classroom mode or
// the anchor broker, each in its own process so that /proc measures it alone.
type process struct {
	name string
	cmd  *exec.Cmd
	mqtt string // host:port of its MQTT (TCP) listener
	base string // http://host:port of courselab; "" for the anchor
	data string // courselab's data folder, removed at stop
	done chan struct{}
	logs tail
	mem  chan uint64 // live heap bytes the process reported (ReportMemoryOnSignal)
}

// tail keeps the last lines a child wrote, for an error message.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[len(t.lines)-20:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

var (
	servingAddr = regexp.MustCompile(`msg=serving addr=(\S+) mqtt=(\S+)`)
	anchorAddr  = regexp.MustCompile(`^anchor broker listening on (\S+)$`)
)

// startProcess runs exe with args and waits until a line of its output
// matches ready; the submatches are returned.
func startProcess(ctx context.Context, name, exe string, args, env []string, ready *regexp.Regexp) (*process, []string, error) {
	p := &process{name: name, done: make(chan struct{}), mem: make(chan uint64, 1)}
	p.cmd = exec.Command(exe, args...)
	p.cmd.Env = append(withoutCourselabSettings(os.Environ()), env...)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	found := make(chan []string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if m := memoryLine.FindStringSubmatch(line); m != nil {
				n, _ := strconv.ParseUint(m[1], 10, 64)
				select {
				case p.mem <- n:
				default:
				}
				continue
			}
			p.logs.add(line)
			if m := ready.FindStringSubmatch(line); m != nil {
				select {
				case found <- m:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = p.cmd.Wait()
	}()
	select {
	case m := <-found:
		return p, m, nil
	case <-p.done:
		return nil, nil, fmt.Errorf("%s exited before it was ready:\n%s", name, p.logs.String())
	case <-time.After(20 * time.Second):
		p.stop()
		return nil, nil, fmt.Errorf("%s was not ready within 20 s:\n%s", name, p.logs.String())
	case <-ctx.Done():
		p.stop()
		return nil, nil, ctx.Err()
	}
}

// withoutCourselabSettings drops COURSELAB_* variables, so the caller's
// environment (a database URL, a secret) cannot change what is measured.
func withoutCourselabSettings(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "COURSELAB_") {
			out = append(out, e)
		}
	}
	return out
}

// startCourselab starts exe serve in classroom mode with SQLite in a
// temporary folder and limits wide enough for a class on one address.
// With profile set it writes profile+".cpu.pprof" and ".heap.pprof".
func startCourselab(ctx context.Context, exe string, ports int, profile string) (*process, error) {
	data, err := os.MkdirTemp("", "courselab-bench-")
	if err != nil {
		return nil, err
	}
	httpAddr, mqttAddr := "127.0.0.1:0", "127.0.0.1:0"
	if ports > 0 {
		httpAddr, mqttAddr = fmt.Sprintf("127.0.0.1:%d", ports), fmt.Sprintf("127.0.0.1:%d", ports+1)
	}
	args := []string{"serve", "--classroom", "--addr", httpAddr, "--mqtt-addr", mqttAddr, "--data", data,
		"--instructor-token", "bench-instructor", "--max-learners", "100000",
		"--joins-per-minute", "1000000", "--max-conns-per-addr", "100000", "--max-conns", "100000"}
	env := []string{MemorySignalEnv + "=1"}
	if profile != "" {
		env = append(env, "COURSELAB_CPU_PROFILE="+profile+".cpu.pprof", "COURSELAB_HEAP_PROFILE="+profile+".heap.pprof")
	}
	p, m, err := startProcess(ctx, "courselab", exe, args, env, servingAddr)
	if err != nil {
		os.RemoveAll(data)
		return nil, err
	}
	p.base, p.mqtt, p.data = "http://"+m[1], m[2], data
	return p, nil
}

// startAnchor starts exe bench --anchor-broker: plain mochi-mqtt.
func startAnchor(ctx context.Context, exe string, ports int, _ string) (*process, error) {
	addr := "127.0.0.1:0"
	if ports > 0 {
		addr = fmt.Sprintf("127.0.0.1:%d", ports+2)
	}
	p, m, err := startProcess(ctx, "mochi", exe, []string{"bench", "--anchor-broker", "--anchor-addr", addr}, nil, anchorAddr)
	if err != nil {
		return nil, err
	}
	p.mqtt = m[1]
	return p, nil
}

// stop ends the process (SIGTERM, then SIGKILL after 5 s) and removes its
// data folder.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if p.data != "" {
		os.RemoveAll(p.data)
	}
}

// cpuSeconds is the user+system CPU time the process has used so far.
func (p *process) cpuSeconds() (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which may hold spaces): utime is
	// the 12th, stime the 13th, in clock ticks of 1/100 s.
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw[i+2:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc/PID/stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil
}

// liveHeapMiB asks the process for its live heap (as of its last garbage
// collection): SIGUSR1, answered by ReportMemoryOnSignal. 0 if it does not
// answer within 2 s.
func (p *process) liveHeapMiB() float64 {
	select {
	case <-p.mem: // a stale answer
	default:
	}
	if p.cmd.Process.Signal(syscall.SIGUSR1) != nil {
		return 0
	}
	select {
	case n := <-p.mem:
		return float64(n) / (1 << 20)
	case <-time.After(2 * time.Second):
		return 0
	}
}

// rssMiB is the resident memory of the process.
func (p *process) rssMiB() float64 { return p.memory().rss }

// memory is a process's resident memory in MiB: all of it, and the part
// that is anonymous (heap, stacks, runtime) and the part that is its files'
// pages (the executable's code and read-only data as far as they were read).
type memory struct{ rss, anon, file float64 }

func (p *process) memory() memory {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return memory{}
	}
	var m memory
	for _, line := range strings.Split(string(raw), "\n") {
		key, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch key {
		case "VmRSS":
			m.rss = kb / 1024
		case "RssAnon":
			m.anon = kb / 1024
		case "RssFile":
			m.file = kb / 1024
		}
	}
	return m
}

// schedTimes is the time all the process's threads have spent on a core
// and waiting in the run queue for one, from /proc/PID/task/*/schedstat
// (nanoseconds, unlike the 10 ms ticks of /proc/PID/stat). On a machine
// shared with other work, wall time minus the wait is about what a start
// would take on an idle one.
func (p *process) schedTimes() (onCPU, waiting time.Duration) {
	dir := fmt.Sprintf("/proc/%d/task", p.cmd.Process.Pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, t := range tasks {
		raw, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread ended meanwhile
		}
		f := strings.Fields(string(raw))
		if len(f) < 2 {
			continue
		}
		run, _ := strconv.ParseInt(f[0], 10, 64)
		wait, _ := strconv.ParseInt(f[1], 10, 64)
		onCPU += time.Duration(run)
		waiting += time.Duration(wait)
	}
	return onCPU, waiting
}

// ServeAnchorBroker runs the anchor: mochi-mqtt with an allow-all hook and
// one TCP listener on addr, nothing else, until ctx ends. It prints
// "anchor broker listening on HOST:PORT" to w once it accepts connections.
func ServeAnchorBroker(ctx context.Context, addr string, w io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("anchor broker: listen on %s: %w", addr, err)
	}
	server := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := server.AddHook(new(allowAll), nil); err != nil {
		ln.Close()
		return err
	}
	if err := server.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		ln.Close()
		return err
	}
	if err := server.Serve(); err != nil {
		return err
	}
	ReportMemoryOnSignal(ctx, w, "")
	fmt.Fprintf(w, "anchor broker listening on %s\n", ln.Addr())
	<-ctx.Done()
	return server.Close()
}

// allowAll lets every client connect and publish or subscribe anywhere, as
// mochi's auth.AllowHook does (that package would add a YAML dependency).
type allowAll struct{ mqtt.HookBase }

func (h *allowAll) ID() string { return "allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mqtt.Client, string, bool) bool { return true }
