package e2e

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/internal/pgtest"
	"github.com/courselab/courselab/internal/store"
)

// cluster is three courselab nodes on one PostgreSQL database with one
// shared secret, behind HAProxy running deploy/haproxy.cfg, all on
// loopback. The nodes listen on 127.0.0.2-4 with the same MQTT port as
// HAProxy on 127.0.0.1, as deploy/local-cluster does, so the MQTT address
// a node shows in the lab panel is HAProxy's.
type cluster struct {
	nodes    []*server
	start    func(t testing.TB, i int) *server // starts node i on its addresses
	database string
	front    *server // HAProxy, seen as one server: Base, HTTP, MQTT
	haproxy  *exec.Cmd
	hlog     *lockedBuffer
}

const clusterToken = "e2e-instructor"

func startCluster(t testing.TB) *cluster {
	t.Helper()
	if binary == "" {
		t.Skip("end-to-end tests start the real binary; skipped with -short")
	}
	haproxy := tool(t, "haproxy", "apt-get install -y haproxy")
	c := &cluster{database: pgtest.Database(t)}
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(strings.Repeat("0123456789abcdef", 4)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpPort, mqttPort := freeLoopbackPort(t), freeLoopbackPort(t)

	// Node i listens on 127.0.0.(i+2) with HAProxy's ports, so a
	// restarted node comes back on the same addresses.
	c.start = func(t testing.TB, i int) *server {
		return startServerOn(t, true, t.TempDir(),
			"COURSELAB_ADDR=127.0.0."+strconv.Itoa(i+2)+":"+httpPort,
			"COURSELAB_MQTT_ADDR=127.0.0."+strconv.Itoa(i+2)+":"+mqttPort,
			"COURSELAB_DATABASE="+c.database,
			"COURSELAB_SECRET_FILE="+secretFile,
			"COURSELAB_INSTRUCTOR_TOKEN="+clusterToken,
			"COURSELAB_TRUSTED_PROXY=127.0.0.1", "COURSELAB_MAX_CONNS_PER_ADDR=8192",
			// The whole class joins from 127.0.0.1, as from behind one NAT.
			"COURSELAB_JOINS_PER_MINUTE=10000")
	}
	var wg sync.WaitGroup
	c.nodes = make([]*server, 3)
	for i := range c.nodes {
		wg.Go(func() { c.nodes[i] = c.start(t, i) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	env := []string{"PATH=" + os.Getenv("PATH"),
		"COURSELAB_HTTP_BIND=127.0.0.1:" + httpPort, "COURSELAB_MQTT_BIND=127.0.0.1:" + mqttPort}
	if v := os.Getenv("COURSELAB_PROXY_MAX_CONNS_PER_ADDR"); v != "" {
		env = append(env, "COURSELAB_PROXY_MAX_CONNS_PER_ADDR="+v) // the load benchmark's class shares 127.0.0.1
	}
	for i, n := range c.nodes {
		env = append(env, fmt.Sprintf("NODE%d_HTTP=%s", i+1, n.HTTP), fmt.Sprintf("NODE%d_MQTT=%s", i+1, n.MQTT))
	}
	c.hlog = &lockedBuffer{}
	c.haproxy = exec.Command(haproxy, "-db", "-f", filepath.Join(repoRoot, "deploy", "haproxy.cfg"))
	c.haproxy.Env, c.haproxy.Stdout, c.haproxy.Stderr = env, c.hlog, c.hlog
	if err := c.haproxy.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.haproxy.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = c.haproxy.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("HAProxy log:\n%s", c.hlog.String())
		}
	})
	c.front = &server{HTTP: "127.0.0.1:" + httpPort, MQTT: "127.0.0.1:" + mqttPort, Base: "http://127.0.0.1:" + httpPort, Classroom: true}
	// Ready when every node has passed HAProxy's health check: the
	// stats are not exposed, so wait for a few healthy answers in a row.
	deadline := time.Now().Add(15 * time.Second)
	for ok := 0; ok < 6; {
		if c.front.healthy() {
			ok++
		} else {
			ok = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy did not answer /healthz within 15 s:\n%s", c.hlog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // rise 2 × inter 1s: every node up
	return c
}

// freeLoopbackPort returns a port free on 127.0.0.1 right now.
func freeLoopbackPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// clusterLearner is a learner with a real MQTT client subscribed to
// devices/ESPDEVICE/# through HAProxy: paho.golang over TCP, or an MQTT.js
// client (in the test's one node process, tests/mqttjs/stay.js) over the lab
// panel's WebSocket URL, which reconnects by itself as a learner's app would.
type clusterLearner struct {
	*learner
	ws         bool
	js         *jsClients
	subscribed chan struct{} // a SUBACK came (MQTT.js: after each reconnection)
	up         atomic.Bool   // MQTT.js: subscribed, and not closed since
	dropped    atomic.Bool   // the client's connection ended
	passes     int           // Checks that answered passed
	acks       int           // Checks that answered at all (200): each is a stored attempt
	jsOut      lockedBuffer  // MQTT.js: this client's events, for a failure
}

const deviceTopics = "devices/ESPDEVICE/#"

// liveTable follows what an instructor's live table (/teach/events) shows:
// per learner, the number of exercises and quizzes done.
type liveTable struct {
	mu    sync.Mutex
	done  map[string]int    // learner name → done
	names map[string]string // learner id → name
}

// liveRow is one row of the table; the stream splits it into "data:" lines.
var liveRow = regexp.MustCompile(`(?s)<tr data-learner="([^"]+)".*?class="who"[^>]*>([^<]*)<.*?data-done>(\d+)<`)

// apply reads one event of the stream.
func (lt *liveTable) apply(event string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch {
	case strings.HasPrefix(event, "event: table"):
		for _, m := range liveRow.FindAllStringSubmatch(event, -1) {
			n, _ := strconv.Atoi(m[3])
			lt.names[m[1]] = m[2]
			lt.done[m[2]] = n
		}
	case strings.HasPrefix(event, "event: cells"):
		_, data, _ := strings.Cut(event, "data: ")
		var ch struct {
			Learner string `json:"l"`
			Done    int    `json:"d"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(data)), &ch) == nil {
			if name, ok := lt.names[ch.Learner]; ok {
				lt.done[name] = ch.Done
			}
		}
	}
}

// String tells what the table showed, for a failure message.
func (lt *liveTable) String() string {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return fmt.Sprintf("; the live table showed done counts %v", lt.done)
}

// doneBy is what the table shows as done by the learner called name.
func (lt *liveTable) doneBy(name string) int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return lt.done[name]
}

// connect starts the learner's client (TCP: dials again) and waits until it
// is subscribed.
func (l *clusterLearner) connect(t *testing.T, front *server) error {
	if !l.ws {
		return l.dialTCP(front)
	}
	if l.subscribed == nil {
		l.subscribed = make(chan struct{}, 16)
		if err := l.js.add(t, l); err != nil {
			return err
		}
	}
	if l.up.Load() {
		return nil
	}
	select {
	case <-l.subscribed:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("MQTT.js over %s not subscribed within 30 s; its events:\n%s", l.Lab.WSURL, l.jsOut.String())
	}
}

// jsClients is one node process running tests/mqttjs/stay.js: an MQTT.js
// client per learner added, their events dispatched by learner.
type jsClients struct {
	mu      sync.Mutex
	started bool
	stdin   io.WriteCloser
	byID    map[string]*clusterLearner
	stderr  lockedBuffer
}

// add starts the process on first use and a client for l.
func (j *jsClients) add(t *testing.T, l *clusterLearner) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		if err := j.start(t); err != nil {
			return err
		}
		j.started = true
	}
	j.byID[l.Lab.Username] = l
	line, _ := json.Marshal(map[string]string{"id": l.Lab.Username, "url": l.Lab.WSURL, "topic": deviceTopics,
		"username": l.Lab.Username, "password": l.Lab.Password})
	_, err := j.stdin.Write(append(line, '\n'))
	return err
}

func (j *jsClients) start(t *testing.T) error {
	node := tool(t, "node", "apt-get install -y nodejs npm")
	if _, err := os.Stat(filepath.Join(mqttjsDir, "node_modules", "mqtt", "package.json")); err != nil {
		missing(t, "MQTT.js", "cd tests/mqttjs && npm ci")
	}
	cmd := exec.Command(node, filepath.Join(mqttjsDir, "stay.js"))
	cmd.Stderr = &j.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	j.stdin, j.byID = in, map[string]*clusterLearner{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e struct{ ID, Event, Message string }
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			j.mu.Lock()
			l := j.byID[e.ID]
			j.mu.Unlock()
			if l == nil {
				continue
			}
			fmt.Fprintln(&l.jsOut, time.Now().Format("15:04:05.000"), e.Event, e.Message)
			switch e.Event {
			case "subscribed":
				l.up.Store(true)
				select {
				case l.subscribed <- struct{}{}:
				default:
				}
			case "close":
				l.up.Store(false)
				l.dropped.Store(true)
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		in.Close() // stay.js ends its clients and exits
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() && j.stderr.String() != "" {
			t.Logf("MQTT.js stderr:\n%s", j.stderr.String())
		}
	})
	return nil
}

// dialTCP connects paho.golang to HAProxy's MQTT port and subscribes.
func (l *clusterLearner) dialTCP(front *server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := net.DialTimeout("tcp", front.MQTT, 5*time.Second)
	if err != nil {
		return err
	}
	c := paho.NewClient(paho.ClientConfig{
		Conn:               conn,
		PacketTimeout:      5 * time.Second,
		OnClientError:      func(error) { l.dropped.Store(true) },
		OnServerDisconnect: func(*paho.Disconnect) { l.dropped.Store(true) },
	})
	ack, err := c.Connect(ctx, &paho.Connect{KeepAlive: 30, ClientID: l.Lab.Username + "-app", CleanStart: true,
		Username: l.Lab.Username, UsernameFlag: true, Password: []byte(l.Lab.Password), PasswordFlag: true})
	if err != nil {
		conn.Close()
		return fmt.Errorf("connect: %v (CONNACK %+v)", err, ack)
	}
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: deviceTopics}}}); err != nil {
		conn.Close()
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// check presses Check on all-device-values through HAProxy with the
// learner's REST token and returns whether it passed.
func (l *clusterLearner) check(front *server) (bool, string, error) {
	req, _ := http.NewRequest(http.MethodPost, front.Base+"/api/courses/"+mqttCourse+"/exercises/all-device-values/check", nil)
	req.Header.Set("Authorization", "Bearer "+l.Lab.Token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, string(body), fmt.Errorf("%s", resp.Status)
	}
	l.acks++
	passed := strings.Contains(string(body), `"passed":true`)
	if passed {
		l.passes++
	}
	return passed, string(body), nil
}

// TestClusterBehindHAProxy is the cluster's acceptance test: 30 learners
// join through HAProxy and solve all-device-values with a real client
// (half over TCP, half over WebSocket) and Check over REST, all through
// HAProxy; the instructor on one node sees all 30 live; one node is
// killed with SIGKILL and its learners, sent to the others, pass a Check
// again within seconds while the others notice nothing; then all three
// nodes are restarted one at a time while learners press Check; no Check
// that answered is missing from the database.
func TestClusterBehindHAProxy(t *testing.T) {
	c := startCluster(t)
	const learners = 30

	// The instructor watches the live table on node 1, directly.
	teacher := &http.Client{Timeout: 10 * time.Second}
	teacher.Jar, _ = cookiejar.New(nil)
	resp, err := teacher.PostForm(c.nodes[0].Base+"/teach/login", url.Values{"token": {clusterToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.nodes[0].Base+"/teach/events", nil)
	sse := &http.Client{Jar: teacher.Jar}
	resp, err = sse.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("instructor's live table on node 1: %v %v", err, resp)
	}
	defer resp.Body.Close()
	// The live table sends a page of rows ("table"), then only the cells of
	// a row that changed ("cells"); what it shows is followed here as the
	// number of exercises and quizzes done per learner.
	live := &liveTable{done: map[string]int{}, names: map[string]string{}}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 4<<20), 4<<20)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				live.apply(ev.String())
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
	}()

	// 30 learners, ten at a time: join, lab details, client, Check.
	ls := make([]*clusterLearner, learners)
	js := &jsClients{}
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range ls {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l := &clusterLearner{learner: c.front.join(t, fmt.Sprintf("Learner %02d", i)), ws: i%2 == 1, js: js}
			ls[i] = l
			if !strings.Contains(l.Lab.WSURL, c.front.HTTP) || l.Lab.MQTTURL != "mqtt://"+c.front.MQTT {
				t.Errorf("%s's lab panel does not point at HAProxy: %+v", l.Name, l.Lab)
				return
			}
			if err := l.connect(t, c.front); err != nil {
				t.Errorf("%s (websocket %v): %v", l.Name, l.ws, err)
				return
			}
			if ok, body, err := l.check(c.front); err != nil || !ok {
				t.Errorf("%s (websocket %v): Check through HAProxy: %v %s", l.Name, l.ws, err, body)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("30 learners joined and passed through HAProxy in %v", time.Since(start).Round(time.Millisecond))

	// Every learner, whichever node holds their sandbox, shows on node 1.
	waitFor := func(what string, within time.Duration, ok func() bool, state ...func() string) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			if time.Now().After(deadline) {
				var seen string
				for _, f := range state {
					seen += f()
				}
				t.Fatalf("%s: not within %v%s", what, within, seen)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("the live table on node 1 shows all 30 learners with all-device-values done", 10*time.Second, func() bool {
		for _, l := range ls {
			if live.doneBy(l.Name) < 1 {
				return false
			}
		}
		return true
	}, live.String)
	rows := exportCSV(t, teacher, c.nodes[0].Base)
	if len(rows) != learners+1 {
		t.Fatalf("CSV on node 1 has %d learners, want %d", len(rows)-1, learners)
	}

	// Kill node 2. Its learners' clients lose their connection; the
	// others' do not.
	c.nodes[1].kill9(t)
	killed := time.Now()
	var moved, stayed atomic.Int32
	var slowest atomic.Int64
	for _, l := range ls {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			time.Sleep(300 * time.Millisecond) // let a dead node's clients notice
			if !l.dropped.Load() {
				stayed.Add(1)
				if ok, body, err := l.check(c.front); err != nil || !ok {
					t.Errorf("%s was not on the killed node but its Check failed: %v %s", l.Name, err, body)
				}
				return
			}
			moved.Add(1)
			// As a learner would: reconnect (MQTT.js does by itself),
			// press Check again until it passes.
			deadline := time.Now().Add(15 * time.Second)
			for {
				err := l.connect(t, c.front)
				if err == nil {
					var ok bool
					var body string
					if ok, body, err = l.check(c.front); ok {
						break
					} else if err == nil {
						err = fmt.Errorf("check did not pass: %s", body)
					}
				}
				if time.Now().After(deadline) {
					t.Errorf("%s, moved off the killed node, still failing 15 s later: %v", l.Name, err)
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
			if d := time.Since(killed); int64(d) > slowest.Load() {
				slowest.Store(int64(d))
			}
		})
	}
	wg.Wait()
	t.Logf("after kill -9 of node 2: %d learners moved and passed again (the last %v after the kill), %d stayed and noticed nothing",
		moved.Load(), time.Duration(slowest.Load()).Round(time.Millisecond), stayed.Load())
	if moved.Load() == 0 {
		t.Error("no learner was on node 2: routing put nobody there")
	}

	// A rolling restart: node 2 comes back, then nodes 1 and 3 are
	// restarted one at a time (SIGTERM, start again), while a few learners
	// keep pressing Check.
	stopPressing := make(chan struct{})
	var pressing sync.WaitGroup
	for _, l := range ls[:6] {
		pressing.Go(func() {
			for {
				select {
				case <-stopPressing:
					return
				case <-time.After(100 * time.Millisecond):
				}
				l.check(c.front) // an error is a Check refused, not lost
			}
		})
	}
	rollStart := time.Now()
	c.nodes[1] = c.start(t, 1)
	time.Sleep(2500 * time.Millisecond) // HAProxy: rise 2 × inter 1 s
	for _, i := range []int{0, 2} {
		c.nodes[i].stop(t)
		c.nodes[i].killed = true // stopped: nothing more for the clean-up to check
		c.nodes[i] = c.start(t, i)
		time.Sleep(2500 * time.Millisecond)
	}
	close(stopPressing)
	pressing.Wait()
	t.Logf("rolling restart of the three nodes in %v", time.Since(rollStart).Round(time.Millisecond))

	// Nothing acknowledged is lost: every Check that answered is an
	// attempt in the database, and every one that answered passed a
	// passed attempt.
	st, err := store.Open(context.Background(), c.database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, l := range ls {
		attempts, err := st.ExerciseAttempts(context.Background(), l.Lab.Username, mqttCourse, "all-device-values")
		if err != nil {
			t.Fatal(err)
		}
		passed := 0
		for _, a := range attempts {
			if a.Passed {
				passed++
			}
		}
		if passed < l.passes || len(attempts) < l.acks {
			t.Errorf("%s: %d Checks answered (%d passed); stored: %d attempts (%d passed)", l.Name, l.acks, l.passes, len(attempts), passed)
		}
	}
}

// exportCSV reads the instructor's CSV export.
func exportCSV(t *testing.T, teacher *http.Client, base string) [][]string {
	t.Helper()
	resp, err := teacher.Get(base + "/teach/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLocalClusterScript runs deploy/local-cluster as an operator would try
// it (on ports of its own), joins a learner and logs the instructor in
// through it with the token it printed, then stops it with SIGTERM and
// checks that it removed its temporary folder.
func TestLocalClusterScript(t *testing.T) {
	if binary == "" {
		t.Skip("end-to-end tests start the real binary; skipped with -short")
	}
	tool(t, "haproxy", "apt-get install -y haproxy")
	pgtest.ServerURL(t) // skips without PostgreSQL, as the other cluster tests
	httpAddr, mqttAddr := "127.0.0.1:"+freeLoopbackPort(t), "127.0.0.1:"+freeLoopbackPort(t)
	out := &lockedBuffer{}
	cmd := exec.Command("bash", filepath.Join(repoRoot, "deploy", "local-cluster"),
		"--http", httpAddr, "--mqtt", mqttAddr, "--pg-port", freeLoopbackPort(t), "--binary", binary)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-done
		}
	})

	tokenLine := regexp.MustCompile(`instructor token (\S+)`)
	logsLine := regexp.MustCompile(`logs\s+(\S+)/\*\.log`)
	deadline := time.Now().Add(60 * time.Second)
	for !tokenLine.MatchString(out.String()) {
		select {
		case err := <-done:
			t.Fatalf("local-cluster ended: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("local-cluster printed no instructor token within 60 s:\n%s", out.String())
		}
	}
	token := tokenLine.FindStringSubmatch(out.String())[1]
	front := &server{HTTP: httpAddr, MQTT: mqttAddr, Base: "http://" + httpAddr, Classroom: true}
	ada := front.join(t, "Ada")
	if ada.Lab.MQTTURL != "mqtt://"+mqttAddr {
		t.Errorf("the lab panel shows MQTT at %s, want HAProxy's %s", ada.Lab.MQTTURL, mqttAddr)
	}
	jar, _ := cookiejar.New(nil)
	teacher := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if resp, err := teacher.PostForm(front.Base+"/teach/login", url.Values{"token": {token}}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if rows := exportCSV(t, teacher, front.Base); len(rows) != 2 || rows[1][1] != "Ada" {
		t.Errorf("the instructor's CSV through local-cluster: %v", rows)
	}

	work := logsLine.FindStringSubmatch(out.String())
	stopped = true
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("local-cluster did not stop within 20 s of SIGTERM:\n%s", out.String())
	}
	if work != nil {
		if _, err := os.Stat(work[1]); err == nil {
			t.Errorf("local-cluster left %s behind", work[1])
		}
	}
	if c, err := net.DialTimeout("tcp", httpAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on %s after local-cluster stopped", httpAddr)
	}
}

// TestGracefulStopWithOpenDashboard stops a node (SIGTERM, as a rolling
// restart does) while the instructor's live table is open: the stream must
// end so the node stops at once, with exit status 0, instead of waiting
// out the shutdown deadline and exiting 1.
func TestGracefulStopWithOpenDashboard(t *testing.T) {
	srv := startServer(t, true)
	jar, _ := cookiejar.New(nil)
	teacher := &http.Client{Jar: jar}
	resp, err := teacher.PostForm(srv.Base+"/teach/login", url.Values{"token": {clusterToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = teacher.Get(srv.Base + "/teach/events")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/teach/events: %v %v", err, resp)
	}
	defer resp.Body.Close()
	start := time.Now()
	srv.stop(t) // fails the test on a non-zero exit status
	srv.killed = true
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stopping took %v with a dashboard open", d.Round(time.Millisecond))
	}
}
