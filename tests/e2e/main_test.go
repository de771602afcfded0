// Package e2e tests the courselab binary from the outside: the command is
// built once, started on free loopback ports with a data folder of its own,
// and driven by the real clients a learner would use (mosquitto_sub and
// mosquitto_pub, curl, MQTT.js under node, paho.golang).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/courselab/courselab/internal/pgtest"
)

// binary is the courselab command TestMain built for this run ("" with -short).
var binary string

// repoRoot is the module root, seen from this package's folder.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if testing.Short() {
		return m.Run() // every test skips in startServer
	}
	dir, err := os.MkdirTemp("", "courselab-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "courselab")
	build := exec.Command("go", "build", "-o", binary, "./cmd/courselab")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/courselab: %v\n%s", err, out)
		return 1
	}
	return pgtest.Main(m) // m.Run, then stop the PostgreSQL it started
}

// inCI reports whether missing tools must fail the tests instead of
// skipping them (CI=true, as .ci/run sets it).
func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// missing skips the test because something it needs is not installed, or
// fails it under CI=true, where everything must be there.
func missing(t testing.TB, what, install string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not installed; install it with: %s", what, install)
	if inCI() {
		t.Fatal(msg + " (CI=true: nothing may skip)")
	}
	t.Skip(msg)
}

// tool returns the path of a command-line tool, or skips/fails the test
// through missing.
func tool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name, install)
	}
	return p
}

const installMosquitto = "apt-get install -y mosquitto-clients"

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running courselab process.
type server struct {
	HTTP      string // host:port of pages, /api and /mqtt
	MQTT      string // host:port of MQTT over TCP
	Base      string // http://HTTP
	Classroom bool

	cmd    *exec.Cmd
	logs   *lockedBuffer
	done   chan error
	killed bool // by kill9: no graceful stop to check
}

// kill9 ends the server with SIGKILL, as a crashed machine would.
func (s *server) kill9(t testing.TB) {
	t.Helper()
	s.killed = true
	_ = s.cmd.Process.Kill()
	<-s.done
	s.done <- nil
}

var (
	servingLine = regexp.MustCompile(`msg=serving .*`)
	addrField   = regexp.MustCompile(` addr=(\S+)`)
	mqttField   = regexp.MustCompile(` mqtt=(\S+)`)
)

// startServer starts the binary on ports the kernel picks (127.0.0.1:0, so
// parallel tests never race for a port) with a fresh data folder, waits for
// /healthz, and stops it when the test ends, failing the test if the
// server's log mentions a panic.
func startServer(t *testing.T, classroom bool) *server {
	t.Helper()
	return startServerOn(t, classroom, t.TempDir())
}

// startServerOn is startServer on a given data folder, so that a test can
// start a second server on the first one's data, as a restart does. env
// adds or overrides COURSELAB_* variables (a cluster node's database,
// secret file and addresses).
func startServerOn(t testing.TB, classroom bool, data string, env ...string) *server {
	t.Helper()
	if binary == "" {
		t.Skip("end-to-end tests start the real binary; skipped with -short")
	}
	s := &server{Classroom: classroom, logs: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary)
	s.cmd.Dir = data
	s.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"COURSELAB_ADDR=127.0.0.1:0",
		"COURSELAB_MQTT_ADDR=127.0.0.1:0",
		"COURSELAB_DATA=" + data,
		"COURSELAB_CLASSROOM=" + strconv.FormatBool(classroom),
		"COURSELAB_INSTRUCTOR_TOKEN=e2e-instructor",
	}
	s.cmd.Env = append(s.cmd.Env, env...) // later entries win
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start courselab: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(15 * time.Second)
	for s.HTTP == "" {
		if line := servingLine.FindString(s.logs.String()); line != "" {
			a, m := addrField.FindStringSubmatch(line), mqttField.FindStringSubmatch(line)
			if a == nil || m == nil {
				t.Fatalf("cannot read the addresses from the server's %q log line", line)
			}
			s.HTTP, s.MQTT = a[1], m[1]
			break
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("courselab exited before serving: %v\n%s", err, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("courselab did not log msg=serving within 15 s:\n%s", s.logs.String())
		}
	}
	s.Base = "http://" + s.HTTP
	for !s.healthy() {
		if time.Now().After(deadline) {
			t.Fatalf("courselab did not answer /healthz within 15 s:\n%s", s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// healthy reports whether /healthz answers 200 right now.
func (s *server) healthy() bool {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(s.Base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// requireHealthy fails the test if the server stopped answering.
func (s *server) requireHealthy(t *testing.T) {
	t.Helper()
	if !s.healthy() {
		t.Fatalf("server no longer answers /healthz:\n%s", s.logs.String())
	}
}

// stop ends the server with SIGTERM (a graceful stop) and checks its log.
func (s *server) stop(t testing.TB) {
	t.Helper()
	if s.killed {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("courselab exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("courselab did not stop within 10 s of SIGTERM")
	}
	logs := s.logs.String()
	if strings.Contains(strings.ToLower(logs), "panic") {
		t.Errorf("the server's log mentions a panic:\n%s", logs)
	}
	if t.Failed() {
		t.Logf("server log:\n%s", logs)
	}
}

// labDetails is the answer of GET /api/lab.
type labDetails struct {
	MQTTURL  string `json:"mqtt_url"`
	WSURL    string `json:"ws_url"`
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
	APIBase  string `json:"api_base"`
}

// learner is someone using the server through a browser (cookie jar) and
// their lab's connection details.
type learner struct {
	Name string
	Web  *http.Client
	Lab  labDetails
}

// join makes a learner: in classroom mode through the join form (POST
// /join sets the session cookie); then it reads GET /api/lab.
func (s *server) join(t testing.TB, name string) *learner {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	l := &learner{Name: name, Web: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	if s.Classroom {
		resp, err := l.Web.PostForm(s.Base+"/join", url.Values{"name": {name}})
		if err != nil {
			t.Fatalf("POST /join: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK { // the 303 to the catalog is followed
			t.Fatalf("POST /join as %q: %s\n%s", name, resp.Status, body)
		}
	}
	resp, err := l.Web.Get(s.Base + "/api/lab")
	if err != nil {
		t.Fatalf("GET /api/lab: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/lab as %q: %s\n%s", name, resp.Status, body)
	}
	if err := json.Unmarshal(body, &l.Lab); err != nil {
		t.Fatalf("GET /api/lab: %v\n%s", err, body)
	}
	if s.Classroom && (l.Lab.Username == "" || l.Lab.Password == "" || l.Lab.Token == "") {
		t.Fatalf("GET /api/lab in classroom mode lacks credentials: %s", body)
	}
	return l
}

// seedHeaders are the headers of the course's curl line.
var seedHeaders = map[string]string{
	"accept":       "application/json;charset=utf-8",
	"Content-Type": "application/json;charset=utf-8",
}

// post sends body to the simulated cloud the way the course's curl line
// does (its headers), with a bearer token when token is not empty, and
// returns the status and body.
func (s *server) post(t *testing.T, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range seedHeaders {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

// get reads path, with a bearer token when token is not empty.
func (s *server) get(t *testing.T, path, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// mqttPort is the port of the server's MQTT TCP listener.
func (s *server) mqttPort() string {
	_, p, _ := net.SplitHostPort(s.MQTT)
	return p
}

// subscriber is a running mosquitto_sub started with -d, so that the test
// knows when its SUBACK arrived and can publish without a race.
type subscriber struct {
	lines  chan string // message lines (-v: "topic payload"), debug lines removed
	stderr *lockedBuffer
	all    *lockedBuffer
	done   chan error
	cancel context.CancelFunc
}

// kill ends mosquitto_sub with SIGKILL, so it sends no DISCONNECT.
func (s *subscriber) kill() {
	s.cancel()
	for range s.lines { // drain until the reader goroutine is done
	}
}

// startSub runs mosquitto_sub against the server with args (topic, -v, -u/-P
// …) and returns once it is subscribed.
func (s *server) startSub(t *testing.T, args ...string) *subscriber {
	t.Helper()
	bin := tool(t, "mosquitto_sub", installMosquitto)
	// mosquitto_sub's stdout is block-buffered into a pipe, and its -d lines
	// are not flushed: stdbuf (coreutils) makes it line-buffered.
	stdbuf := tool(t, "stdbuf", "apt-get install -y coreutils")
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"-h", "127.0.0.1", "-p", s.mqttPort(), "-d"}, args...)
	cmd := exec.CommandContext(ctx, stdbuf, append([]string{"-oL", bin}, full...)...)
	return startSubscriber(t, cmd, cancel, "mosquitto_sub "+strings.Join(full, " "))
}

// startSubscriber starts a mosquitto_sub command run with -d and returns once
// its SUBACK came; its message lines arrive on the subscriber's channel.
func startSubscriber(t *testing.T, cmd *exec.Cmd, cancel context.CancelFunc, label string) *subscriber {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sub := &subscriber{lines: make(chan string, 100), stderr: &lockedBuffer{}, all: &lockedBuffer{}, done: make(chan error, 1), cancel: cancel}
	cmd.Stderr = sub.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	subscribed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(sub.all, line)
			switch {
			case strings.HasPrefix(line, "Subscribed (") || strings.Contains(line, "received SUBACK"):
				once.Do(func() { close(subscribed) })
			case strings.HasPrefix(line, "Client "):
			default:
				sub.lines <- line
			}
		}
		sub.done <- cmd.Wait()
		close(sub.lines)
	}()
	t.Cleanup(func() { sub.kill() })
	select {
	case <-subscribed:
	case <-sub.done:
		t.Fatalf("%s ended before subscribing:\n%s%s", label, sub.all.String(), sub.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not subscribe within 10 s:\n%s%s", label, sub.all.String(), sub.stderr.String())
	}
	return sub
}

// next returns the next message line ("topic payload" with -v).
func (s *subscriber) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		if !ok {
			t.Fatalf("mosquitto_sub ended without the expected message:\n%s%s", s.all.String(), s.stderr.String())
		}
		return line
	case <-time.After(5 * time.Second):
		t.Fatalf("mosquitto_sub received nothing within 5 s:\n%s%s", s.all.String(), s.stderr.String())
	}
	return ""
}

// quiet fails the test if a message arrives within d.
func (s *subscriber) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		if ok {
			t.Errorf("mosquitto_sub received %q, want nothing", line)
		}
	case <-time.After(d):
	}
}

// mosquitto runs a mosquitto client command to its end (bounded by 15 s)
// and returns its combined output and error.
func (s *server) mosquitto(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	bin := tool(t, name, installMosquitto)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	full := append([]string{"-h", "127.0.0.1", "-p", s.mqttPort()}, args...)
	out, err := exec.CommandContext(ctx, bin, full...).CombinedOutput()
	return string(out), err
}

// splitMessage splits a "topic payload" line of mosquitto_sub -v.
func splitMessage(t *testing.T, line string) (topic, payload string) {
	t.Helper()
	topic, payload, ok := strings.Cut(line, " ")
	if !ok {
		t.Fatalf("mosquitto_sub -v line %q has no payload", line)
	}
	return topic, payload
}
