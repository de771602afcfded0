package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// TestEveryExerciseIsListedWithItsSectionAndCovered: the exercise API lists
// the courses' exercises with their stable ids and sections, and each one
// has tests in this package.
func TestEveryExerciseIsListedWithItsSectionAndCovered(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	wantSections := map[string]string{
		"human-presence": secArchitecture, "plus-wildcard": secTopics, "qos-levels": secOther,
		"last-will": secOther, "persistent-session": secOther, "qos1-redelivery": secOther, "retained-message": secOther,
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

// Every exercise's solution, as its page gives it, is run in course order on
// one lab by TestCoursesSolvedInOrderOnOneLab (journey_test.go). The tests
// below try the mistakes, and other ways to solve, each on a fresh lab.

// ---------------------------------------------------------------------------
// MQTT APIs: Architecture.

func TestExerciseHumanPresence(t *testing.T) {
	t.Parallel()
	const id = "human-presence"
	t.Run("mistake: publishing before anyone subscribed", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", "human-presence", "-m", "detected"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.awaitPublish(t, "human-presence", "detected", 0)
		srv.startSub(t, "-t", "human-presence", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), "human-presence", "no client of yours was subscribed", "send the value again")
	})
}

// ---------------------------------------------------------------------------
// MQTT APIs: Topics.

func TestExercisePlusWildcard(t *testing.T) {
	t.Parallel()
	const id = "plus-wildcard"
	t.Run("mistake: the wildcard on the sensor instead of the device", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/ESPDEVICE/sensors/+/value", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id),
			"devices/ESPDEVICE/sensors/+/value", "did not receive devices/GARDEN/sensors/TC/value", `"GARDEN"`)
	})
	t.Run("broader tool: devices/# receives them without the +", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/#", "-v")
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id),
			"devices/# also receives them", "this exercise is about +", "devices/+/sensors/TC/value")
	})
}

// ---------------------------------------------------------------------------
// MQTT APIs: Other features.

func TestExerciseQoSLevels(t *testing.T) {
	t.Parallel()
	const id = "qos-levels"
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
		// mosquitto_pub sends a QoS 0 PUBLISH and exits: Check comes once
		// the broker has routed it, as it would for a learner.
		srv.awaitPublish(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 22.5}`, 0)
		srv.awaitPublish(t, "devices/ESPDEVICE/actuators/LED/value", `{"value": true}`, 0)
		r := srv.press(t, nil, "", mqttCourse, id)
		mustFailWith(t, id, r, "devices/ESPDEVICE/sensors/TC/value", "QoS 0", "-q 1")
		if ok, msg := detail(t, r, "qos2"); ok || !strings.Contains(msg, "QoS 0") || !strings.Contains(msg, "-q 2") {
			t.Errorf("qos2 check after a QoS 0 publish: passed=%v %q, want a failure naming QoS 0 and -q 2", ok, msg)
		}
		// -q 1 for both: the temperature is right, the LED command is not.
		pub("-q", "1", "-t", "devices/ESPDEVICE/sensors/TC/value", "-m", `{"value": 22.5}`)
		pub("-q", "1", "-t", "devices/ESPDEVICE/actuators/LED/value", "-m", `{"value": true}`)
		srv.awaitPublish(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 22.5}`, 1)
		srv.awaitPublish(t, "devices/ESPDEVICE/actuators/LED/value", `{"value": true}`, 1)
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
	t.Run("mistake: nobody watching the status", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		shell(t, block(t, sol, "--will-topic", "kill -9 $!"))
		r := srv.pressUntil(t, mqttCourse, id, func(r checkResult) bool { return strings.Contains(r.Summary, "sent the last will") })
		mustFailWith(t, id, r, `"esp-device"`, "no other client of yours was subscribed", "devices/ESPDEVICE/status")
	})
	t.Run("mistake: solved, then the device says goodbye (Ctrl+C)", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		watch := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-t devices/ESPDEVICE/status -v"))
		shell(t, block(t, sol, "--will-topic", "kill -9 $!"))
		watch.expect(t, "devices/ESPDEVICE/status offline")
		mustPass(t, id, srv.press(t, nil, "", mqttCourse, id))
		device := strings.TrimSuffix(line(t, sol, "mosquitto_sub", "--will-topic"), " &")
		srv.shellSub(t, device).interrupt(t)
		r := srv.pressUntil(t, mqttCourse, id, func(r checkResult) bool { return strings.Contains(r.Summary, "gracefully") })
		mustFailWith(t, id, r, `"esp-device"`, "gracefully", "discarded its will")
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
		srv.awaitPublish(t, topic, `{"value": 30}`, 1) // queued before the client comes back
		return srv.shellSub(t, subLine)
	}
	t.Run("solved: Check pressed while the client is away", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		subLine := line(t, sol, "mosquitto_sub", "-i my-dashboard")
		srv.shellSub(t, subLine).interrupt(t)
		res := make(chan checkResult, 1)
		go func() { res <- srv.press(t, nil, "", mqttCourse, id) }()
		// The learner goes back to the terminal once Check has published.
		srv.awaitJournal(t, "Check's publish on "+topic, func(e journalEvent) bool {
			return e.Kind == "publish" && e.Topic == topic && e.Source == "platform" && e.QoS == 1
		})
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

// TestExerciseQoS1Redelivery: the solution's mosquitto_sub, left running,
// recovers when Check loses its PUBACK and cuts its connection: it comes
// back by itself and prints the redelivered PUBLISH with d1. The mistakes:
// a clean session, and a subscriber that is not running.
func TestExerciseQoS1Redelivery(t *testing.T) {
	t.Parallel()
	const id = "qos1-redelivery"
	t.Run("solved: the subscriber comes back and sees DUP", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-i my-phone"))
		r := srv.press(t, nil, "", mqttCourse, id)
		mustPass(t, id, r)
		if !strings.Contains(r.Summary, `"my-phone"`) || !strings.Contains(r.Summary, "DUP=1") {
			t.Errorf("the summary %q does not name my-phone and DUP=1", r.Summary)
		}
		waitOutput(t, sub.subscriber, "received PUBLISH (d1, q1")
	})
	t.Run("mistake: clean session (no -c)", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		srv.shellSub(t, strings.Replace(line(t, sol, "mosquitto_sub", "-i my-phone"), " -c ", " ", 1))
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), `"my-phone"`, "clean session", "-c -i my-phone")
	})
	t.Run("mistake: the subscriber was stopped", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		sol := srv.solution(t, nil, mqttCourse, secOther, id)
		srv.shellSub(t, line(t, sol, "mosquitto_sub", "-i my-phone")).interrupt(t)
		mustFailWith(t, id, srv.press(t, nil, "", mqttCourse, id), `"my-phone"`, "is not connected", "press Check")
	})
}

// waitOutput waits (up to 10 s) until a running mosquitto_sub has printed want.
func waitOutput(t *testing.T, s *subscriber, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.all.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto_sub did not print %q:\n%s", want, s.all.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExerciseRetainedMessage(t *testing.T) {
	t.Parallel()
	const id = "retained-message"
	t.Run("mistake: published without -r", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", "devices/ESPDEVICE/status", "-m", "online"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.awaitPublish(t, "devices/ESPDEVICE/status", "online", 0)
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
		srv.awaitREST(t, "POST", "/devices/ESPDEVICE/sensors/TC/value")
		srv.awaitDeliver(t, "", seedTC, `"value":25`)
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
		srv.awaitREST(t, "POST", "/devices/ESPDEVICE/sensors/TC/value")
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
		mustFailWith(t, id, r, "not called the REST API", "published on "+seedTC+" over MQTT instead", "POST /api/v2/devices/ESPDEVICE/sensors/TC/value", "curl")
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
	srv.awaitDeliver(t, "", seedTC, `"value":25`)
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
	t.Run("mistake: the sensor instead of its history", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		if status, body := srv.get(t, "/api/v2/devices/GREENHOUSE/sensors/SM", ""); status != http.StatusOK {
			t.Fatalf("GET the sensor: %d %s", status, body)
		}
		srv.awaitREST(t, "GET", "/devices/GREENHOUSE/sensors/SM")
		mustFailWith(t, id, srv.press(t, nil, "", sensorCourse, id),
			"GET /api/v2/devices/GREENHOUSE/sensors/SM", "needs GET /api/v2/devices/GREENHOUSE/sensors/+/values")
	})
}

func TestExercisePublishReading(t *testing.T) {
	t.Parallel()
	const id = "publish-reading"
	const topic = "devices/GREENHOUSE/sensors/SM/value"
	t.Run("mistake: a bare number instead of JSON", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", "devices/GREENHOUSE/sensors/+/value", "-v")
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", topic, "-m", "42"); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.awaitPublish(t, topic, "42", 0)
		mustFailWith(t, id, srv.press(t, nil, "", sensorCourse, id), topic, "not a JSON object", `{"value": 21.5}`)
	})
	t.Run("mistake: subscribed to one sensor only", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		srv.startSub(t, "-t", topic, "-v")
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", topic, "-m", `{"value": 42}`); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		srv.awaitPublish(t, topic, `{"value": 42}`, 0)
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
	srv.awaitJournalAs(t, ada.Web, "the delivery of Ada's value", func(e journalEvent) bool {
		return e.Kind == "deliver" && e.Topic == seedTC && strings.Contains(e.Payload, `"value":25`)
	})
	srv.awaitJournalAs(t, ada.Web, "Ada's REST call", func(e journalEvent) bool { return e.Kind == "rest" && e.Detail["method"] == "POST" })
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
	return startServerOn(t, false, data)
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
