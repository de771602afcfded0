package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The bundled courses' ids and the section slugs of their exercises.
const (
	mqttCourse   = "mqtt_course"
	sensorCourse = "sensor-data"

	secArchitecture = "architecture"
	secTopics       = "topics"
	secOther        = "other-features"
	secHandsOn      = "hands-on-task-mqtt-application"
	secExercise     = "exercise"
	secREST         = "read-the-values-over-rest"
	secMQTT         = "follow-them-live-over-mqtt"
)

// checkResult is the answer of POST /api/courses/{course}/exercises/{id}/check.
type checkResult struct {
	Passed  bool   `json:"passed"`
	Summary string `json:"summary"`
	Details []struct {
		Check   string `json:"check"`
		Passed  bool   `json:"passed"`
		Message string `json:"message"`
	} `json:"details"`
}

func (r checkResult) String() string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}

// press presses Check on an exercise: as the personal learner (web nil, no
// token), with a classroom learner's cookies (web), or with their lab token.
func (s *server) press(t *testing.T, web *http.Client, token, course, id string) checkResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Base+"/api/courses/"+course+"/exercises/"+id+"/check", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if web == nil {
		web = &http.Client{}
	}
	c := *web
	c.Timeout = 90 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Check %s: %v", id, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Check %s: %s\n%s", id, resp.Status, body)
	}
	var r checkResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("Check %s: %v\n%s", id, err, body)
	}
	if strings.TrimSpace(r.Summary) == "" || len(r.Details) == 0 {
		t.Errorf("Check %s: no summary or details: %s", id, body)
	}
	return r
}

// pressUntil presses Check, as a learner who presses again, until done
// says the answer is the awaited one or 5 s have passed (the broker may
// take a moment to notice a connection that just closed).
func (s *server) pressUntil(t *testing.T, course, id string, done func(checkResult) bool) checkResult {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.press(t, nil, "", course, id)
		if done(r) || time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustPass fails the test unless Check passed.
func mustPass(t *testing.T, id string, r checkResult) {
	t.Helper()
	if !r.Passed {
		t.Fatalf("Check %s failed, want passed: %s", id, r)
	}
	for _, d := range r.Details {
		if !d.Passed {
			t.Errorf("Check %s passed with a failed %s check: %s", id, d.Check, r)
		}
	}
}

// mustFailWith fails the test unless Check failed with a summary holding
// every one of words (case-insensitive): the words a beginner needs.
func mustFailWith(t *testing.T, id string, r checkResult, words ...string) {
	t.Helper()
	if r.Passed {
		t.Fatalf("Check %s passed, want a failure mentioning %q: %s", id, words, r)
	}
	t.Logf("Check %s failed as it should: %s", id, r.Summary)
	for _, w := range words {
		if !strings.Contains(strings.ToLower(r.Summary), strings.ToLower(w)) {
			t.Errorf("Check %s: summary %q does not mention %q", id, r.Summary, w)
		}
	}
}

// detail returns the message of the check of type typ in r.
func detail(t *testing.T, r checkResult, typ string) (bool, string) {
	t.Helper()
	for _, d := range r.Details {
		if d.Check == typ {
			return d.Passed, d.Message
		}
	}
	t.Fatalf("no %s check in %s", typ, r)
	return false, ""
}

var (
	preBlock = regexp.MustCompile(`(?s)<pre[^>]*>(.*?)</pre>`)
	anyTag   = regexp.MustCompile(`(?s)<[^>]+>`)
)

// page reads a section of a course as the learner sees it (their own lab
// details in place of the placeholders).
func (s *server) page(t *testing.T, web *http.Client, course, section string) string {
	t.Helper()
	if web == nil {
		web = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := web.Get(s.Base + "/courses/" + course + "/" + section)
	if err != nil {
		t.Fatalf("GET %s/%s: %v", course, section, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/%s: %s", course, section, resp.Status)
	}
	return string(body)
}

// codeBlocks returns the text of the code blocks in a piece of a page, as
// the copy button gives it (highlighting removed).
func codeBlocks(t *testing.T, fragment string) []string {
	t.Helper()
	var out []string
	for _, m := range preBlock.FindAllStringSubmatch(fragment, -1) {
		code := html.UnescapeString(anyTag.ReplaceAllString(m[1], ""))
		if strings.Contains(code, "[[lab.") {
			t.Fatalf("a placeholder was not filled in:\n%s", code)
		}
		out = append(out, strings.TrimSpace(code))
	}
	return out
}

// solution returns the code blocks of an exercise's solution as the learner
// sees them on the page.
func (s *server) solution(t *testing.T, web *http.Client, course, section, id string) []string {
	t.Helper()
	p := s.page(t, web, course, section)
	start := strings.Index(p, `id="exercise-`+id+`"`)
	if start < 0 {
		t.Fatalf("the page %s/%s has no exercise %s", course, section, id)
	}
	end := strings.Index(p[start:], "</section>")
	if end < 0 {
		t.Fatalf("exercise %s has no end on the page", id)
	}
	blocks := codeBlocks(t, p[start:start+end])
	if len(blocks) == 0 {
		t.Fatalf("exercise %s shows no command or code in its solution", id)
	}
	return blocks
}

// block returns the first block holding every one of parts.
func block(t *testing.T, blocks []string, parts ...string) string {
	t.Helper()
	for _, b := range blocks {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(b, p)
		}
		if ok {
			return b
		}
	}
	t.Fatalf("no code block holds %q among:\n%s", parts, strings.Join(blocks, "\n---\n"))
	return ""
}

// line returns the first line of the blocks that starts with prefix and
// holds every one of parts: one command as the learner pastes it.
func line(t *testing.T, blocks []string, prefix string, parts ...string) string {
	t.Helper()
	for _, b := range blocks {
		for _, l := range strings.Split(b, "\n") {
			l = strings.TrimSpace(l)
			ok := strings.HasPrefix(l, prefix)
			for _, p := range parts {
				ok = ok && strings.Contains(l, p)
			}
			if ok {
				return l
			}
		}
	}
	t.Fatalf("no line %q… holding %q among:\n%s", prefix, parts, strings.Join(blocks, "\n---\n"))
	return ""
}

// shell runs a command line (or a few lines) from the course with sh, as a
// learner pasting it into a terminal, bounded by 15 s, and returns its output.
func shell(t *testing.T, script string) string {
	t.Helper()
	sh := tool(t, "sh", "apt-get install -y dash")
	for _, name := range []string{"mosquitto_pub", "mosquitto_sub", "curl"} {
		if strings.Contains(script, name) {
			tool(t, name, map[string]string{"curl": "apt-get install -y curl"}[name]+installMosquittoIf(name))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-c", script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", script, err, out, stderr.String())
	}
	return string(out)
}

func installMosquittoIf(name string) string {
	if strings.HasPrefix(name, "mosquitto") {
		return installMosquitto
	}
	return ""
}

// shellSub is a mosquitto_sub line from the course, running as pasted
// (with -d added, so the test knows when its SUBACK came).
type shellSub struct {
	*subscriber
	cmd      *exec.Cmd
	srv      *server
	clientID string // the -i of the line, if any
}

func (s *server) shellSub(t *testing.T, cmdline string) *shellSub {
	t.Helper()
	if !strings.HasPrefix(cmdline, "mosquitto_sub ") {
		t.Fatalf("not a mosquitto_sub line: %q", cmdline)
	}
	tool(t, "mosquitto_sub", installMosquitto)
	stdbuf := tool(t, "stdbuf", "apt-get install -y coreutils")
	sh := tool(t, "sh", "apt-get install -y dash")
	ctx, cancel := context.WithCancel(context.Background())
	// exec: the shell becomes stdbuf, then mosquitto_sub, so signals reach it.
	cmd := exec.CommandContext(ctx, sh, "-c", "exec "+stdbuf+" -oL "+cmdline+" -d")
	sub := startSubscriber(t, cmd, cancel, cmdline)
	ss := &shellSub{subscriber: sub, cmd: cmd, srv: s}
	if m := clientIDFlag.FindStringSubmatch(cmdline); m != nil {
		ss.clientID = m[1]
	}
	return ss
}

var clientIDFlag = regexp.MustCompile(`\s-i\s+(\S+)`)

// interrupt is Ctrl+C: mosquitto_sub disconnects politely (DISCONNECT) and
// ends. With a client id (-i), it returns once the broker has handled the
// DISCONNECT (the process may end first), so that what the test does next
// meets a client that is away.
func (s *shellSub) interrupt(t *testing.T) {
	t.Helper()
	s.signalInterrupt(t)
	if s.clientID != "" {
		s.srv.awaitJournal(t, "the DISCONNECT of "+s.clientID, func(e journalEvent) bool {
			return e.Kind == "disconnect" && e.ClientID == s.clientID && e.Detail["graceful"] == true
		})
	}
}

func (s *shellSub) signalInterrupt(t *testing.T) {
	t.Helper()
	// mosquitto_sub 2.0.11 may hang on a SIGINT that arrives while it is
	// still handling its SUBACK: wait until it has printed the last line of
	// that ("Subscribed (mid: …)"), as a person reads it before pressing Ctrl+C.
	for wait := time.Now().Add(5 * time.Second); !strings.Contains(s.all.String(), "Subscribed (mid"); {
		if time.Now().After(wait) {
			t.Fatalf("mosquitto_sub never printed its subscription:\n%s", s.all.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.lines:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("mosquitto_sub did not end within 5 s of Ctrl+C:\n%s", s.all.String())
		}
	}
}

// expect reads the next message line and compares it.
func (s *subscriber) expect(t *testing.T, want string) {
	t.Helper()
	if got := s.next(t); got != want {
		t.Fatalf("mosquitto_sub printed %q, want %q", got, want)
	}
}

// nodeApp is a JavaScript program from the course running under node with
// the MQTT.js of tests/mqttjs; lines carries what it prints.
type nodeApp struct {
	lines chan string
	all   *lockedBuffer
	stdin io.WriteCloser
}

// runJS runs code (the course's, after prelude) under node.
func runJS(t *testing.T, prelude, code string) *nodeApp {
	t.Helper()
	node := tool(t, "node", "apt-get install -y nodejs npm")
	modules, err := filepath.Abs(filepath.Join(mqttjsDir, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "mqtt", "package.json")); err != nil {
		missing(t, "MQTT.js", "cd tests/mqttjs && npm ci")
	}
	file := filepath.Join(t.TempDir(), "app.js")
	if err := os.WriteFile(file, []byte(prelude+"\n"+code+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, file)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	app := &nodeApp{lines: make(chan string, 1000), all: &lockedBuffer{}, stdin: stdin}
	cmd.Stderr = app.all
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Fprintln(app.all, sc.Text())
			select {
			case app.lines <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
		close(app.lines)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return app
}

// send writes to the program's standard input (a learner typing).
func (a *nodeApp) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(a.stdin, s); err != nil {
		t.Fatalf("write to the program: %v\n%s", err, a.all.String())
	}
}

// waitFor reads the program's output until a line holding want.
func (a *nodeApp) waitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-a.lines:
			if !ok {
				t.Fatalf("the program ended before printing %q:\n%s", want, a.all.String())
			}
			if strings.Contains(l, want) {
				return l
			}
		case <-timeout:
			t.Fatalf("the program did not print %q within 10 s:\n%s", want, a.all.String())
		}
	}
}

// domShim stands in for the browser's document in main.js under node: the
// value main.js writes into the page is printed as "UI <id>=<value>".
const domShim = `globalThis.document = { getElementById: (id) => ({ set innerHTML(v) { console.log("UI " + id + "=" + v); } }) };`

// logJournal logs what the learner's lab console shows of their sandbox
// (the journal of connects, disconnects, wills…), to explain a failure.
func logJournal(t *testing.T, srv *server) {
	t.Helper()
	resp, err := (&http.Client{Timeout: time.Second}).Get(srv.Base + "/api/lab/events")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // an event stream: what came within the second
	t.Logf("the sandbox's journal (/api/lab/events):\n%s", b)
}

// ---------------------------------------------------------------------------
// The list of exercises.

// exerciseTests are the exercises the tests below cover, per course: a new
// exercise in a bundled course needs its tests here.
var exerciseTests = map[string][]string{
	mqttCourse: {"human-presence", "plus-wildcard", "qos-levels", "last-will", "persistent-session",
		"qos1-redelivery", "retained-message", "hands-on-sensor", "all-device-values"},
	sensorCourse: {"read-history", "publish-reading"},
}

// journalEvent is one line of the learner's journal as /api/lab/events sends it.
type journalEvent struct {
	Seq      uint64         `json:"seq"`
	Kind     string         `json:"kind"`
	ClientID string         `json:"client_id"`
	Topic    string         `json:"topic"`
	Payload  string         `json:"payload"`
	QoS      byte           `json:"qos"`
	Source   string         `json:"source"`
	Detail   map[string]any `json:"detail"`
}

// awaitJournal waits (up to 10 s) until the personal learner's journal
// holds an event ok accepts, reading /api/lab/events like the lab panel. It
// is how a test knows the broker has handled what a client sent (a
// mosquitto_pub may exit before the broker has routed its PUBLISH), instead
// of sleeping.
func (s *server) awaitJournal(t *testing.T, what string, ok func(journalEvent) bool) journalEvent {
	t.Helper()
	return s.awaitJournalAs(t, http.DefaultClient, what, ok)
}

// awaitJournalAs is awaitJournal for the learner whose browser is web.
func (s *server) awaitJournalAs(t *testing.T, web *http.Client, what string, ok func(journalEvent) bool) journalEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/api/lab/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	stream := *web
	stream.Timeout = 0 // an event stream: the context bounds it
	resp, err := stream.Do(req)
	if err != nil {
		t.Fatalf("GET /api/lab/events: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && (event == "journal" || event == "revised"): // a revised line: its QoS exchange moved on
			var e journalEvent
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err == nil && ok(e) {
				return e
			}
		case line == "":
			event = ""
		}
	}
	t.Fatalf("the journal showed no %s within 10 s", what)
	return journalEvent{}
}

// awaitPublish waits until the broker has routed a learner's publish of
// payload on topic with qos.
func (s *server) awaitPublish(t *testing.T, topic, payload string, qos byte) {
	t.Helper()
	s.awaitJournal(t, fmt.Sprintf("QoS %d publish of %s on %s", qos, payload, topic), func(e journalEvent) bool {
		return e.Kind == "publish" && e.Topic == topic && e.Payload == payload && e.QoS == qos && e.Source != "platform"
	})
}

// awaitDeliver waits until the broker has journaled a delivery on topic
// whose payload holds part (to clientID, or to any learner client if "").
func (s *server) awaitDeliver(t *testing.T, clientID, topic, part string) {
	t.Helper()
	s.awaitJournal(t, fmt.Sprintf("a delivery of %s on %s to %q", part, topic, clientID), func(e journalEvent) bool {
		return e.Kind == "deliver" && e.Topic == topic && strings.Contains(e.Payload, part) && (clientID == "" || e.ClientID == clientID)
	})
}

// awaitREST waits until the journal holds a REST call of method on a path
// ending in suffix.
func (s *server) awaitREST(t *testing.T, method, suffix string) {
	t.Helper()
	s.awaitJournal(t, method+" …"+suffix, func(e journalEvent) bool {
		p, _ := e.Detail["path"].(string)
		return e.Kind == "rest" && e.Detail["method"] == method && strings.HasSuffix(p, suffix)
	})
}
