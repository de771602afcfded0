package e2e

// Every exercise of the bundled courses, solved against the real binary the
// way the course's solution says (its own commands and code, taken from the
// page the learner reads, with their lab's details filled in), and attempted
// the way a beginner typically gets it wrong: Check must pass the first and
// fail the second with a sentence that names what to fix.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
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
	cmd *exec.Cmd
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
	return &shellSub{subscriber: sub, cmd: cmd}
}

// interrupt is Ctrl+C: mosquitto_sub disconnects politely (DISCONNECT) and ends.
func (s *shellSub) interrupt(t *testing.T) {
	t.Helper()
	// A person takes a moment to press Ctrl+C; mosquitto_sub 2.0.11 may hang
	// on a SIGINT that arrives while it is still printing its SUBACK.
	time.Sleep(200 * time.Millisecond)
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
	app := &nodeApp{lines: make(chan string, 1000), all: &lockedBuffer{}}
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
		"retained-message", "hands-on-sensor", "all-device-values"},
	sensorCourse: {"read-history", "publish-reading"},
}

// TestEveryExerciseIsListedWithItsSectionAndCovered: the exercise API lists
// the courses' exercises with their stable ids and sections, and each one
// has tests in this file.
func TestEveryExerciseIsListedWithItsSectionAndCovered(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	wantSections := map[string]string{
		"human-presence": secArchitecture, "plus-wildcard": secTopics, "qos-levels": secOther,
		"last-will": secOther, "persistent-session": secOther, "retained-message": secOther,
		"hands-on-sensor": secHandsOn, "all-device-values": secExercise,
		"read-history": secREST, "publish-reading": secMQTT,
	}
	for course, want := range exerciseTests {
		status, body := srv.get(t, "/api/courses/"+course+"/exercises", "")
		if status != http.StatusOK {
			t.Fatalf("GET exercises of %s: %d %s", course, status, body)
		}
		var list struct {
			Exercises []struct{ ID, Title, Section string } `json:"exercises"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range list.Exercises {
			ids = append(ids, e.ID)
			if e.Section != wantSections[e.ID] || e.Title == "" {
				t.Errorf("%s: exercise %s in section %q with title %q, want section %q", course, e.ID, e.Section, e.Title, wantSections[e.ID])
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s lists exercises %v, want %v (tests in this file cover those)", course, ids, want)
		}
	}
	status, body := srv.get(t, "/", "")
	for _, c := range []string{mqttCourse, sensorCourse} {
		if status != http.StatusOK || !strings.Contains(string(body), `href="/courses/`+c+`"`) {
			t.Errorf("the catalog does not show the course %s", c)
		}
	}
}

// ---------------------------------------------------------------------------
// MQTT APIs: Architecture.

func TestExerciseHumanPresence(t *testing.T) {
	t.Parallel()
	const id = "human-presence"
	t.Run("solved with the solution's clients A, B and C", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secArchitecture, id)
		a := srv.shellSub(t, line(t, sol, "mosquitto_sub", "human-presence"))
		b := srv.shellSub(t, line(t, sol, "mosquitto_sub", "human-presence"))
		shell(t, line(t, sol, "mosquitto_pub", "human-presence"))
		a.expect(t, "human-presence detected")
		b.expect(t, "human-presence detected")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	})
	t.Run("mistake: publishing before anyone subscribed", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", "human-presence", "-m", "detected"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.startSub(t, "-t", "human-presence", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), "human-presence", "no client of yours was subscribed", "send the value again")
	})
}

// ---------------------------------------------------------------------------
// MQTT APIs: Topics.

func TestExercisePlusWildcard(t *testing.T) {
	t.Parallel()
	const id = "plus-wildcard"
	t.Run("solved with devices/+/sensors/TC/value", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secTopics, id)
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "'devices/+/sensors/TC/value'"))
		r := srv.press(t, nil, "", mqttCourse, id)
		mustPass(t, id, r)
		got := []string{sub.next(t), sub.next(t)}
		sort.Strings(got)
		if !strings.HasPrefix(got[0], "devices/ESPDEVICE/sensors/TC/value ") || !strings.HasPrefix(got[1], "devices/GARDEN/sensors/TC/value ") {
			t.Errorf("the subscriber printed %q, want a value of each device's TC", got)
		}
	})
	t.Run("mistake: the wildcard on the sensor instead of the device", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/ESPDEVICE/sensors/+/value", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id),
			"devices/ESPDEVICE/sensors/+/value", "did not receive devices/GARDEN/sensors/TC/value", `"GARDEN"`)
	})
}

// ---------------------------------------------------------------------------
// MQTT APIs: Other features.

func TestExerciseQoSLevels(t *testing.T) {
	t.Parallel()
	const id = "qos-levels"
	t.Run("solved with the solution's two mosquitto_pub lines", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		if out := shell(t, line(t, sol, "mosquitto_pub", "-q 1")); !strings.Contains(out, "PUBACK") {
			t.Errorf("mosquitto_pub -d -q 1 showed no PUBACK:\n%s", out)
		}
		out := shell(t, line(t, sol, "mosquitto_pub", "-q 2"))
		for _, p := range []string{"PUBREC", "PUBREL", "PUBCOMP"} {
			if !strings.Contains(out, p) {
				t.Errorf("mosquitto_pub -d -q 2 showed no %s:\n%s", p, out)
			}
		}
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	})
	t.Run("mistake: QoS 0, then QoS 1 where 2 is needed", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		pub := func(args ...string) {
			if out, err := srv.mosquitto(t, "mosquitto_pub", args...); err != nil {
				t.Fatalf("mosquitto_pub: %v\n%s", err, out)
			}
		}
		// Forgetting -q: both with QoS 0.
		pub("-t", "devices/ESPDEVICE/sensors/TC/value", "-m", `{"value": 22.5}`)
		pub("-t", "devices/ESPDEVICE/actuators/LED/value", "-m", `{"value": true}`)
		r := srv.press(t, nil, "", mqttCourse, id)
		mustFailWith(t, id, r, "devices/ESPDEVICE/sensors/TC/value", "QoS 0", "-q 1")
		if ok, msg := detail(t, r, "qos2"); ok || !strings.Contains(msg, "QoS 0") || !strings.Contains(msg, "-q 2") {
			t.Errorf("qos2 check after a QoS 0 publish: passed=%v %q, want a failure naming QoS 0 and -q 2", ok, msg)
		}
		// -q 1 for both: the temperature is right, the LED command is not.
		pub("-q", "1", "-t", "devices/ESPDEVICE/sensors/TC/value", "-m", `{"value": 22.5}`)
		pub("-q", "1", "-t", "devices/ESPDEVICE/actuators/LED/value", "-m", `{"value": true}`)
		r = srv.press(t, nil, "", mqttCourse, id)
		mustFailWith(t, id, r, "devices/ESPDEVICE/actuators/LED/value", "QoS 1", "-q 2", "PUBCOMP")
		if ok, _ := detail(t, r, "published"); !ok {
			t.Errorf("the QoS 1 temperature did not pass the published check: %s", r)
		}
	})
}

func TestExerciseLastWill(t *testing.T) {
	t.Parallel()
	const id = "last-will"
	t.Run("solved: the device killed with kill -9", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		watch := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-t devices/ESPDEVICE/status -v"))
		shell(t, block(t, sol, "--will-topic", "kill -9 $!")) // the background device, killed a second later
		watch.expect(t, "devices/ESPDEVICE/status offline")
		r := srv.press(t, nil, "", mqttCourse, id)
		mustPass(t, id, r)
		if !strings.Contains(r.Summary, `"esp-device"`) {
			t.Errorf("the summary %q does not name the client esp-device", r.Summary)
		}
	})
	t.Run("mistake: Ctrl+C, a graceful disconnect", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		watch := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-t devices/ESPDEVICE/status -v"))
		device := strings.TrimSuffix(line(t, sol, "mosquitto_sub", "--will-topic"), " &")
		srv.shellSub(t, device).interrupt(t)
		r := srv.pressUntil(t, mqttCourse, id, func(r checkResult) bool { return !strings.Contains(r.Summary, "still connected") })
		if !strings.Contains(r.Summary, "gracefully") {
			logJournal(t, srv)
		}
		mustFailWith(t, id, r, `"esp-device"`, "gracefully", "DISCONNECT", "discarded its will", "kill the process")
		watch.quiet(t, 200*time.Millisecond)
	})
}

func TestExercisePersistentSession(t *testing.T) {
	t.Parallel()
	const id = "persistent-session"
	const topic = "devices/ESPDEVICE/sensors/TC/value"
	// away runs the solution's steps with the subscriber's line changed by
	// edit: subscribe, Ctrl+C, publish while away, subscribe again.
	away := func(t *testing.T, srv *server, edit func(string) string) *shellSub {
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		subLine := edit(line(t, sol, "mosquitto_sub", "-i my-dashboard"))
		srv.shellSub(t, subLine).interrupt(t)
		shell(t, line(t, sol, "mosquitto_pub", "-q 1", topic))
		return srv.shellSub(t, subLine)
	}
	t.Run("solved: -c -i my-dashboard -q 1, away, back", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		back := away(t, srv, func(s string) string { return s })
		back.expect(t, topic+` {"value": 30}`)
		r := srv.press(t, nil, "", mqttCourse, id)
		mustPass(t, id, r)
		if !strings.Contains(r.Summary, `"my-dashboard"`) {
			t.Errorf("the summary %q does not name the client my-dashboard", r.Summary)
		}
	})
	t.Run("solved: Check pressed while the client is away", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		subLine := line(t, sol, "mosquitto_sub", "-i my-dashboard")
		srv.shellSub(t, subLine).interrupt(t)
		res := make(chan checkResult, 1)
		go func() { res <- srv.press(t, nil, "", mqttCourse, id) }()
		time.Sleep(500 * time.Millisecond) // the learner goes back to the terminal
		back := srv.shellSub(t, subLine)
		if l := back.next(t); !strings.HasPrefix(l, topic+" ") {
			t.Errorf("the client came back to %q, want the value Check published on %s", l, topic)
		}
		select {
		case r := <-res:
			mustPass(t, id, r)
		case <-time.After(20 * time.Second):
			t.Fatal("Check did not answer within 20 s of the client's return")
		}
	})
	t.Run("mistake: clean session (no -c)", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		back := away(t, srv, func(s string) string { return strings.Replace(s, " -c ", " ", 1) })
		back.quiet(t, 300*time.Millisecond)
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), `"my-dashboard"`, "clean session", "forget", "-c -i my-dashboard")
	})
	t.Run("mistake: subscribed with QoS 0", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		subLine := strings.Replace(line(t, sol, "mosquitto_sub", "-i my-dashboard"), " -q 1 ", " ", 1)
		srv.shellSub(t, subLine).interrupt(t)
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), `"my-dashboard"`, "QoS 0", "QoS 1 or 2", "-q 1")
	})
}

func TestExerciseRetainedMessage(t *testing.T) {
	t.Parallel()
	const id = "retained-message"
	t.Run("solved: mosquitto_pub -r, then a late subscriber gets it", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		shell(t, line(t, sol, "mosquitto_pub", "-r"))
		srv.shellSub(t, line(t, sol, "mosquitto_sub", "devices/ESPDEVICE/status")).expect(t, "devices/ESPDEVICE/status online")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	})
	t.Run("mistake: published without -r", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", "devices/ESPDEVICE/status", "-m", "online"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.startSub(t, "-t", "devices/ESPDEVICE/status", "-v").quiet(t, 200*time.Millisecond)
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), "devices/ESPDEVICE/status", "without the retain flag", "-r")
	})
}

// ---------------------------------------------------------------------------
// MQTT APIs: Hands on task.

func TestExerciseHandsOnSensor(t *testing.T) {
	t.Parallel()
	const id = "hands-on-sensor"
	t.Run("solved with the solution's mosquitto_sub and curl lines", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secHandsOn, id)
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", seedTC))
		shell(t, line(t, sol, "curl", "-X POST"))
		topic, payload := splitMessage(t, sub.next(t))
		if topic != seedTC {
			t.Errorf("topic %q, want %q", topic, seedTC)
		}
		checkCloudPayload(t, payload, "25")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	})
	t.Run("solved with the course's main.js under node over WebSocket", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		code := codeBlocks(t, srv.page(t, nil, mqttCourse, secHandsOn))
		mainJS := block(t, code, `require("mqtt")`, "mqtt.connect(", "getElementById")
		if !strings.Contains(mainJS, `mqtt.connect("ws://`+srv.HTTP+`/mqtt", {})`) {
			t.Errorf("main.js does not connect to the learner's ws URL:\n%s", mainJS)
		}
		app := runJS(t, domShim, mainJS)
		app.waitFor(t, "Connected to MQTT")
		shell(t, line(t, code, "curl", "-X POST"))
		app.waitFor(t, "UI val=25")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	})
	t.Run("solved with index.html and main.js in a browser", func(t *testing.T) {
		t.Parallel()
		handsOnInABrowser(t)
	})
	t.Run("mistake: curl before the subscriber started", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if status, body := srv.post(t, seedPath, "", seedBody); status >= 300 {
			t.Fatalf("POST %s: %d %s", seedPath, status, body)
		}
		srv.startSub(t, "-t", seedTC, "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), seedTC, "no client of yours was subscribed", "send the value again")
	})
	t.Run("mistake: mosquitto_pub instead of the REST API", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sub := srv.startSub(t, "-t", seedTC, "-v")
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", seedTC, "-m", `{"value": 25}`); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		sub.next(t)
		r := srv.press(t, nil, "", mqttCourse, id)
		mustFailWith(t, id, r, "not called the REST API", "POST /api/v2/devices/ESPDEVICE/sensors/TC/value", "curl")
		if ok, msg := detail(t, r, "delivered"); ok || !strings.Contains(msg, "REST API") {
			t.Errorf("delivered after an MQTT publish: passed=%v %q, want a failure asking for the REST API", ok, msg)
		}
	})
}

// handsOnInABrowser opens the course's index.html in Chromium with main.js
// bundled the way a bundler does it (require("mqtt") resolved to MQTT.js's
// own browser build), runs the course's curl line, and waits for the value
// on the page.
func handsOnInABrowser(t *testing.T) {
	t.Helper()
	dist := filepath.Join(mqttjsDir, "node_modules", "mqtt", "dist", "mqtt.min.js")
	lib, err := os.ReadFile(dist)
	if err != nil {
		missing(t, "MQTT.js", "cd tests/mqttjs && npm ci")
	}
	browsertest.ExecPath(t) // skip (or fail in CI) before starting anything
	srv := startServer(t, false)
	code := codeBlocks(t, srv.page(t, nil, mqttCourse, secHandsOn))
	indexHTML := block(t, code, "<!DOCTYPE html>", `<span id="val">---</span>`)
	if !strings.Contains(indexHTML, `<script src="bundle.js"></script>`) {
		t.Fatalf("index.html does not load bundle.js:\n%s", indexHTML)
	}
	mainJS := block(t, code, `require("mqtt")`, "mqtt.connect(", "getElementById")
	bundle := string(lib) + "\n;(function (lib) {\nvar require = function (m) { if (m !== \"mqtt\") throw new Error(\"cannot find \" + m); return lib; };\n" + mainJS + "\n})(mqtt);\n"
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/index.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, indexHTML)
		case "/bundle.js":
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, bundle)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(files.Close)

	ctx := browsertest.New(t, 800, 600)
	browsertest.Step(t, ctx, 20*time.Second, chromedp.Navigate(files.URL+"/index.html"))
	curlLine := line(t, code, "curl", "-X POST")
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The page subscribes a moment after loading: push until it shows the value.
		shell(t, curlLine)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("val").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		if v == "25" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page shows %q after the curl line, want 25", v)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mustPass(t, "hands-on-sensor", srv.press(t, nil, "", mqttCourse, "hands-on-sensor"))
}

// ---------------------------------------------------------------------------
// MQTT APIs: Exercise.

func TestExerciseAllDeviceValues(t *testing.T) {
	t.Parallel()
	const id = "all-device-values"
	t.Run("solved with the solution's mosquitto_sub line", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secExercise, id)
		srv.shellSub(t, line(t, sol, "mosquitto_sub", "'devices/ESPDEVICE/#'"))
		r := srv.press(t, nil, "", mqttCourse, id)
		mustPass(t, id, r)
		if !strings.Contains(r.Summary, "all 3 fresh values of ESPDEVICE") {
			t.Errorf("summary %q, want it to say all 3 values of ESPDEVICE arrived", r.Summary)
		}
	})
	t.Run("solved with the solution's Node program", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secExercise, id)
		prog := block(t, sol, "mqtt.connect(", "devices/ESPDEVICE/#")
		if !strings.Contains(prog, `mqtt.connect("mqtt://`+srv.MQTT+`", {})`) {
			t.Errorf("the program does not connect to the learner's broker:\n%s", prog)
		}
		app := runJS(t, "", prog)
		app.waitFor(t, "Listening to devices/ESPDEVICE/#")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
		app.waitFor(t, "devices/ESPDEVICE/actuators/LED/value ")
	})
	t.Run("mistake: devices/ESPDEVICE/sensors/+/value", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/ESPDEVICE/sensors/+/value", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id),
			"devices/ESPDEVICE/sensors/+/value", "devices/ESPDEVICE/actuators/LED/value", "actuator", "devices/ESPDEVICE/#")
	})
}

// ---------------------------------------------------------------------------
// Reading sensor data over REST and MQTT.

func TestExerciseReadHistory(t *testing.T) {
	t.Parallel()
	const id = "read-history"
	t.Run("solved with the solution's curl line", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, sensorCourse, secREST, id)
		out := shell(t, line(t, sol, "curl", "/devices/GREENHOUSE/sensors/SM/values"))
		var history []struct {
			Value json.Number `json:"value"`
		}
		if err := json.Unmarshal([]byte(out), &history); err != nil || len(history) == 0 || history[0].Value != "35" {
			t.Errorf("the history of SM is %s (%v), want the lab's first value 35", out, err)
		}
		mustPass(t, id, srv.press(t, nil, "", sensorCourse, id))
	})
	t.Run("mistake: the sensor instead of its history", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if status, body := srv.get(t, "/api/v2/devices/GREENHOUSE/sensors/SM", ""); status != http.StatusOK {
			t.Fatalf("GET the sensor: %d %s", status, body)
		}
		mustFailWith(t, id, srv.press(t, nil, "", sensorCourse, id),
			"GET /api/v2/devices/GREENHOUSE/sensors/SM", "needs GET /api/v2/devices/GREENHOUSE/sensors/+/values")
	})
}

func TestExercisePublishReading(t *testing.T) {
	t.Parallel()
	const id = "publish-reading"
	const topic = "devices/GREENHOUSE/sensors/SM/value"
	t.Run("solved with the solution's mosquitto lines", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, sensorCourse, secMQTT, id)
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "'devices/GREENHOUSE/sensors/+/value'"))
		shell(t, line(t, sol, "mosquitto_pub", topic))
		sub.expect(t, topic+` {"value": 42}`)
		mustPass(t, id, srv.press(t, nil, "", sensorCourse, id))
		// "Then read the history of SM again: your value is in it."
		_, body := srv.get(t, "/api/v2/devices/GREENHOUSE/sensors/SM/values", "")
		if !regexp.MustCompile(`"value":\s*42\b`).Match(body) {
			t.Errorf("the history of SM after the publish is %s, want the value 42 in it", body)
		}
	})
	t.Run("mistake: a bare number instead of JSON", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/GREENHOUSE/sensors/+/value", "-v")
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", topic, "-m", "42"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		mustFailWith(t, id, srv.press(t, nil, "", sensorCourse, id), topic, "not a JSON object", `{"value": 21.5}`)
	})
	t.Run("mistake: subscribed to one sensor only", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", topic, "-v")
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", topic, "-m", `{"value": 42}`); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		mustFailWith(t, id, srv.press(t, nil, "", sensorCourse, id), "does not match devices/GREENHOUSE/sensors/TC/value")
	})
}

// ---------------------------------------------------------------------------
// Classroom mode: credentials in every command, and no cross-talk.

func TestExercisesInClassroomModeWithCredentials(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada, bob := srv.join(t, "Ada"), srv.join(t, "Bob")

	// hands-on-sensor with the lines of Ada's page: her -u/-P and her token.
	sol := srv.solution(t, ada.Web, mqttCourse, secHandsOn, "hands-on-sensor")
	subLine := line(t, sol, "mosquitto_sub", seedTC)
	curlLine := line(t, sol, "curl", "-X POST")
	if !strings.Contains(subLine, "-u "+ada.Lab.Username+" -P "+ada.Lab.Password) || !strings.Contains(curlLine, `-H "Authorization: Bearer `+ada.Lab.Token+`"`) {
		t.Fatalf("Ada's page lacks her credentials:\n%s\n%s", subLine, curlLine)
	}
	sub := srv.shellSub(t, subLine)
	shell(t, curlLine)
	_, payload := splitMessage(t, sub.next(t))
	checkCloudPayload(t, payload, "25")
	mustPass(t, "hands-on-sensor", srv.press(t, ada.Web, "", mqttCourse, "hands-on-sensor"))
	mustFailWith(t, "hands-on-sensor", srv.press(t, bob.Web, "", mqttCourse, "hands-on-sensor"), "not called the REST API")

	// all-device-values with the Node program of Ada's page (her
	// mqttjs_options), Check pressed with her lab token instead of a cookie.
	prog := block(t, srv.solution(t, ada.Web, mqttCourse, secExercise, "all-device-values"), "mqtt.connect(", "devices/ESPDEVICE/#")
	if !strings.Contains(prog, `{ username: "`+ada.Lab.Username+`", password: "`+ada.Lab.Password+`" }`) {
		t.Fatalf("the program on Ada's page lacks her credentials:\n%s", prog)
	}
	app := runJS(t, "", prog)
	app.waitFor(t, "Listening to devices/ESPDEVICE/#")
	mustPass(t, "all-device-values", srv.press(t, nil, ada.Lab.Token, mqttCourse, "all-device-values"))
	mustFailWith(t, "all-device-values", srv.press(t, nil, bob.Lab.Token, mqttCourse, "all-device-values"), "No client of yours is connected")

	for _, l := range []*learner{ada, bob} {
		p := progressOf(t, srv, l.Web)
		for _, ex := range []string{"hands-on-sensor", "all-device-values"} {
			if got, want := p.Courses[mqttCourse].Exercises[ex].Passed, l == ada; got != want {
				t.Errorf("%s's progress: %s passed=%v, want %v", l.Name, ex, got, want)
			}
		}
	}
}

// progress is GET /api/progress, as far as exercises go.
type progress struct {
	Courses map[string]struct {
		Exercises map[string]struct {
			Passed bool      `json:"passed"`
			At     time.Time `json:"at"`
		} `json:"exercises"`
	} `json:"courses"`
}

func progressOf(t *testing.T, srv *server, web *http.Client) progress {
	t.Helper()
	if web == nil {
		web = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := web.Get(srv.Base + "/api/progress")
	if err != nil {
		t.Fatalf("GET /api/progress: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var p progress
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/progress: %s %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET /api/progress: %v\n%s", err, body)
	}
	return p
}

// ---------------------------------------------------------------------------
// Issue 4, "Done when".

// TestAllDeviceValuesDoneWhen: with mosquitto_sub -t
// 'devices/ESPDEVICE/sensors/+/value' running, Check on all-device-values
// fails and names the actuator; with devices/ESPDEVICE/# it passes; after a
// restart of the server on the same data folder the progress still shows it
// passed.
func TestAllDeviceValuesDoneWhen(t *testing.T) {
	t.Parallel()
	const id = "all-device-values"
	srv := startServer(t, false)
	data := srv.cmd.Dir

	wrong := srv.startSub(t, "-t", "devices/ESPDEVICE/sensors/+/value", "-v")
	r := srv.press(t, nil, "", mqttCourse, id)
	mustFailWith(t, id, r, "devices/ESPDEVICE/actuators/LED/value", "actuator")
	wrong.kill()

	srv.startSub(t, "-t", "devices/ESPDEVICE/#", "-v")
	mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
	before := progressOf(t, srv, nil).Courses[mqttCourse].Exercises[id]

	// Restart on the same data folder.
	srv.stop(t)
	srv.done <- nil // the test's cleanup stops it again: it is already stopped
	again := startServerIn(t, data)
	after := progressOf(t, again, nil).Courses[mqttCourse].Exercises[id]
	if !after.Passed || !after.At.Equal(before.At) {
		t.Errorf("after a restart the progress shows %s as %+v, want passed at %v", id, after, before.At)
	}
	status, body := again.get(t, "/api/courses/"+mqttCourse+"/exercises", "")
	if status != http.StatusOK || !strings.Contains(string(body), `"id":"all-device-values","title":"Listen to every value of a device","section":"exercise","passed":true`) {
		t.Errorf("after a restart the exercise list is %d %s, want all-device-values passed", status, body)
	}
}

// startServerIn is startServer (personal mode) on an existing data folder.
func startServerIn(t *testing.T, data string) *server {
	t.Helper()
	s := &server{logs: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary)
	s.cmd.Dir = data
	s.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"COURSELAB_ADDR=127.0.0.1:0",
		"COURSELAB_MQTT_ADDR=127.0.0.1:0",
		"COURSELAB_DATA=" + data,
		"COURSELAB_CLASSROOM=false",
	}
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start courselab: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(15 * time.Second)
	for s.HTTP == "" {
		if l := servingLine.FindString(s.logs.String()); l != "" {
			a, m := addrField.FindStringSubmatch(l), mqttField.FindStringSubmatch(l)
			if a == nil || m == nil {
				t.Fatalf("cannot read the addresses from the server's %q log line", l)
			}
			s.HTTP, s.MQTT = a[1], m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("courselab did not log msg=serving within 15 s:\n%s", s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
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

// ---------------------------------------------------------------------------
// Quizzes.

var (
	quizTag   = regexp.MustCompile(`(?s)<quiz id="([^"]+)"[^>]*>(.*?)</quiz>`)
	answerTag = regexp.MustCompile(`<answer [^>]*?( right)?>`)
)

// TestQuizzesAreGradedWithFeedback answers every answer of every quiz of
// both courses (as written in their index.md): only the right one is
// correct, and each one comes with feedback. The MQTT course has a quiz at
// the end of each concept section.
func TestQuizzesAreGradedWithFeedback(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	for course, dir := range map[string]string{mqttCourse: "mqtt-apis", sensorCourse: "sensor-data"} {
		src, err := os.ReadFile(filepath.Join(repoRoot, "courses", dir, "index.md"))
		if err != nil {
			t.Fatal(err)
		}
		quizzes := quizTag.FindAllStringSubmatch(string(src), -1)
		if len(quizzes) == 0 {
			t.Errorf("%s has no quiz", course)
		}
		for _, q := range quizzes {
			answers := answerTag.FindAllStringSubmatch(q[2], -1)
			if len(answers) < 2 || len(answers) > 3 {
				t.Errorf("%s quiz %s has %d answers, want 2 or 3", course, q[1], len(answers))
			}
			for i, a := range answers {
				status, body := srv.postJSON(t, "/api/courses/"+course+"/quizzes/"+q[1]+"/answer", fmt.Sprintf(`{"answer":"a%d"}`, i+1))
				var got struct {
					Correct  bool   `json:"correct"`
					Feedback string `json:"feedback"`
				}
				if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil {
					t.Fatalf("answer a%d of %s: %d %s", i+1, q[1], status, body)
				}
				if got.Correct != (a[1] != "") || strings.TrimSpace(got.Feedback) == "" {
					t.Errorf("%s quiz %s answer a%d: correct=%v feedback %q, want correct=%v with feedback", course, q[1], i+1, got.Correct, got.Feedback, a[1] != "")
				}
			}
		}
	}
	for section, quiz := range map[string]string{"http-vs-mqtt": "http-vs-mqtt", secArchitecture: "broker-role", secTopics: "topic-wildcards", secOther: "session-offline"} {
		if p := srv.page(t, nil, mqttCourse, section); !strings.Contains(p, `id="quiz-`+quiz+`-a1"`) {
			t.Errorf("the section %s does not show the quiz %s", section, quiz)
		}
	}
}

// postJSON posts a JSON body.
func (s *server) postJSON(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}
