package e2e

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCoursesSolvedInOrderOnOneLab is a learner taking both bundled courses
// from a fresh lab to the end, in the order of the pages, on one lab: each
// exercise's solution is run as its page gives it, after everything the
// earlier exercises left behind (subscribers still running, a persistent
// session, a retained status `online`, a will `offline`), and each Check
// passes. The exercise tests beside it try the mistakes, each on a fresh lab.
//
// A client prints what it received, or exits, a moment before the broker
// journals it, and Check reads the journal: before each Check the test
// waits for the journal lines that Check needs, as a learner's pause does.
func TestCoursesSolvedInOrderOnOneLab(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	step := func(id string, solve func(t *testing.T) checkResult) {
		t.Helper()
		if t.Failed() {
			return // a later exercise on a broken lab says nothing more
		}
		t.Run(id, func(t *testing.T) {
			r := solve(t)
			if !r.Passed {
				logJournal(t, srv)
			}
			mustPass(t, id, r)
		})
	}

	// MQTT APIs. The terminals of each exercise stay open unless the
	// solution says to stop them, as a learner leaves them.
	step("human-presence", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secArchitecture, "human-presence")
		a := srv.shellSub(t, line(t, sol, "mosquitto_sub", "human-presence"))
		b := srv.shellSub(t, line(t, sol, "mosquitto_sub", "human-presence"))
		shell(t, line(t, sol, "mosquitto_pub", "human-presence"))
		a.expect(t, "human-presence detected")
		b.expect(t, "human-presence detected")
		srv.awaitDeliver(t, "", "human-presence", "detected")
		return srv.press(t, nil, "", mqttCourse, "human-presence")
	})
	step("plus-wildcard", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secTopics, "plus-wildcard")
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "'devices/+/sensors/TC/value'"))
		r := srv.press(t, nil, "", mqttCourse, "plus-wildcard")
		got := []string{sub.next(t), sub.next(t)}
		sort.Strings(got)
		if !strings.HasPrefix(got[0], "devices/ESPDEVICE/sensors/TC/value ") || !strings.HasPrefix(got[1], "devices/GARDEN/sensors/TC/value ") {
			t.Errorf("the subscriber printed %q, want a value of each device's TC", got)
		}
		return r
	})
	step("qos-levels", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secOther, "qos-levels")
		if out := shell(t, line(t, sol, "mosquitto_pub", "-q 1")); !strings.Contains(out, "PUBACK") {
			t.Errorf("mosquitto_pub -d -q 1 showed no PUBACK:\n%s", out)
		}
		out := shell(t, line(t, sol, "mosquitto_pub", "-q 2"))
		for _, p := range []string{"PUBREC", "PUBREL", "PUBCOMP"} {
			if !strings.Contains(out, p) {
				t.Errorf("mosquitto_pub -d -q 2 showed no %s:\n%s", p, out)
			}
		}
		srv.awaitPublish(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 22.5}`, 1)
		srv.awaitJournal(t, "a QoS 2 publish ended by the broker's PUBCOMP", func(e journalEvent) bool {
			return e.Kind == "publish" && e.QoS == 2 && e.Detail["ack"] == "PUBCOMP" && e.Detail["acked_at"] != nil
		})
		return srv.press(t, nil, "", mqttCourse, "qos-levels")
	})
	step("last-will", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secOther, "last-will")
		watch := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-t devices/ESPDEVICE/status -v"))
		shell(t, block(t, sol, "--will-topic", "kill -9 $!"))
		watch.expect(t, "devices/ESPDEVICE/status offline")
		r := srv.press(t, nil, "", mqttCourse, "last-will")
		if !strings.Contains(r.Summary, `"esp-device"`) {
			t.Errorf("the summary %q does not name the client esp-device", r.Summary)
		}
		return r
	})
	step("persistent-session", func(t *testing.T) checkResult {
		const topic = "devices/ESPDEVICE/sensors/TC/value"
		sol := srv.solution(t, nil, mqttCourse, secOther, "persistent-session")
		subLine := line(t, sol, "mosquitto_sub", "-i my-dashboard")
		srv.shellSub(t, subLine).interrupt(t)
		shell(t, line(t, sol, "mosquitto_pub", "-q 1", topic))
		srv.awaitPublish(t, topic, `{"value": 30}`, 1) // queued before the client comes back
		srv.shellSub(t, subLine).expect(t, topic+` {"value": 30}`)
		srv.awaitDeliver(t, "my-dashboard", topic, `{"value": 30}`)
		r := srv.press(t, nil, "", mqttCourse, "persistent-session")
		if !strings.Contains(r.Summary, `"my-dashboard"`) {
			t.Errorf("the summary %q does not name the client my-dashboard", r.Summary)
		}
		return r
	})
	step("qos1-redelivery", func(t *testing.T) checkResult {
		// my-dashboard of the last exercise still runs; the learner starts
		// my-phone, the newest client, which Check breaks.
		sol := srv.solution(t, nil, mqttCourse, secOther, "qos1-redelivery")
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "-i my-phone"))
		r := srv.press(t, nil, "", mqttCourse, "qos1-redelivery")
		waitOutput(t, sub.subscriber, "received PUBLISH (d1, q1")
		return r
	})
	step("retained-message", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secOther, "retained-message")
		shell(t, line(t, sol, "mosquitto_pub", "-r"))
		srv.awaitPublish(t, "devices/ESPDEVICE/status", "online", 0)
		srv.shellSub(t, line(t, sol, "mosquitto_sub", "devices/ESPDEVICE/status")).expect(t, "devices/ESPDEVICE/status online")
		return srv.press(t, nil, "", mqttCourse, "retained-message")
	})
	step("hands-on-sensor", func(t *testing.T) checkResult {
		code := codeBlocks(t, srv.page(t, nil, mqttCourse, secHandsOn))
		mainJS := block(t, code, `require("mqtt")`, "mqtt.connect(", "getElementById")
		if !strings.Contains(mainJS, `mqtt.connect("ws://`+srv.HTTP+`/mqtt", {})`) {
			t.Errorf("main.js does not connect to the learner's ws URL:\n%s", mainJS)
		}
		app := runJS(t, domShim, mainJS)
		app.waitFor(t, "Connected to MQTT")
		shell(t, line(t, code, "curl", "-X POST"))
		app.waitFor(t, "UI val=25")
		srv.awaitREST(t, "POST", "/devices/ESPDEVICE/sensors/TC/value")
		srv.awaitDeliver(t, "", "devices/ESPDEVICE/sensors/TC/value", `"value":25`)
		return srv.press(t, nil, "", mqttCourse, "hands-on-sensor")
	})
	step("all-device-values", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, mqttCourse, secExercise, "all-device-values")
		prog := block(t, sol, "mqtt.connect(", "devices/ESPDEVICE/#")
		if !strings.Contains(prog, `mqtt.connect("mqtt://`+srv.MQTT+`", {})`) {
			t.Errorf("the program does not connect to the learner's broker:\n%s", prog)
		}
		app := runJS(t, "", prog)
		app.waitFor(t, "Listening to devices/ESPDEVICE/#")
		r := srv.press(t, nil, "", mqttCourse, "all-device-values")
		app.waitFor(t, "devices/ESPDEVICE/actuators/LED/value ")
		// What the retained-message exercise left on the status topic
		// came too (before or after the SUBACK), and did not stop it.
		if !strings.Contains(app.all.String(), "devices/ESPDEVICE/status online") {
			t.Errorf("the program did not print the retained status online:\n%s", app.all.String())
		}
		return r
	})

	// Reading sensor data over REST and MQTT, on the same lab.
	step("read-history", func(t *testing.T) checkResult {
		sol := srv.solution(t, nil, sensorCourse, secREST, "read-history")
		out := shell(t, line(t, sol, "curl", "/devices/GREENHOUSE/sensors/SM/values"))
		var history []struct {
			Value json.Number `json:"value"`
		}
		if err := json.Unmarshal([]byte(out), &history); err != nil || len(history) == 0 || history[0].Value != "35" {
			t.Errorf("the history of SM is %s (%v), want the lab's first value 35", out, err)
		}
		srv.awaitREST(t, "GET", "/devices/GREENHOUSE/sensors/SM/values")
		return srv.press(t, nil, "", sensorCourse, "read-history")
	})
	step("publish-reading", func(t *testing.T) checkResult {
		const topic = "devices/GREENHOUSE/sensors/SM/value"
		sol := srv.solution(t, nil, sensorCourse, secMQTT, "publish-reading")
		sub := srv.shellSub(t, line(t, sol, "mosquitto_sub", "'devices/GREENHOUSE/sensors/+/value'"))
		shell(t, line(t, sol, "mosquitto_pub", topic))
		for {
			if l := sub.next(t); strings.HasPrefix(l, topic+" ") && strings.Contains(l, "42") {
				break // the simulator's own values may come first
			}
		}
		srv.awaitPublish(t, topic, `{"value": 42}`, 0)
		r := srv.press(t, nil, "", sensorCourse, "publish-reading")
		// "Then read the history of SM again: your value is in it."
		_, body := srv.get(t, "/api/v2/devices/GREENHOUSE/sensors/SM/values", "")
		if !regexp.MustCompile(`"value":\s*42\b`).Match(body) {
			t.Errorf("the history of SM after the publish is %s, want the value 42 in it", body)
		}
		return r
	})

	if t.Failed() {
		return
	}
	p := progressOf(t, srv, nil)
	for course, ids := range exerciseTests {
		for _, id := range ids {
			if !p.Courses[course].Exercises[id].Passed {
				t.Errorf("after the whole journey the progress shows %s/%s not passed", course, id)
			}
		}
	}
}
