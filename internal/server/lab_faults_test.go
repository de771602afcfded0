package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// TestFaultRoutesInjectAndAnswerMistakesInWords: the console's fault calls
// reach the learner's sandbox (a withheld PUBACK makes a paho client get
// the message again with DUP=1), and bad input gets a 4xx with the field
// and a sentence.
func TestFaultRoutesInjectAndAnswerMistakesInWords(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	api := ts.URL + "/api/lab/faults"
	expiry := uint32(300)
	persistent := &paho.Connect{ClientID: "c1", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}}
	sub := labtest.MustDial(t, ts.mqtt, persistent)
	sub.Sub(t, "lab/faults", 1)

	cases := []struct {
		name, path string
		body       any
		status     int
		field      string
	}{
		{"unknown client", "/withhold-ack", map[string]any{"client_id": "nobody"}, 404, "client_id"},
		{"no client", "/withhold-ack", map[string]any{}, 400, "client_id"},
		{"bad side", "/withhold-ack", map[string]any{"client_id": "c1", "from": "server"}, 400, "from"},
		{"no delay", "/delay", map[string]any{"client_id": "c1"}, 400, "ms"},
		{"delay too long", "/delay", map[string]any{"client_id": "c1", "ms": 60000}, 400, "ms"},
		{"delay lasting forever", "/delay", map[string]any{"client_id": "c1", "ms": 100, "seconds": 100000}, 400, "seconds"},
		{"negative lasting", "/delay", map[string]any{"client_id": "c1", "ms": 100, "seconds": -1}, 400, "seconds"},
		{"no seconds", "/unreachable", map[string]any{}, 400, "seconds"},
		{"outage too long", "/unreachable", map[string]any{"seconds": 3600}, 400, "seconds"},
		{"drop of a stranger", "/drop", map[string]any{"client_id": "ghost"}, 404, "client_id"},
		{"not JSON", "/delay", "ms=3", 400, ""},
	}
	for _, tc := range cases {
		status, body := call(t, "POST", api+tc.path, tc.body)
		msg, _ := body["error"].(string)
		if status != tc.status || msg == "" || body["field"] != nilIfEmpty(tc.field) {
			t.Errorf("%s: %d %v, want %d with field %q and a message", tc.name, status, body, tc.status, tc.field)
		}
		if strings.Contains(msg, "labs.") || strings.Contains(msg, "Error") {
			t.Errorf("%s: the message %q is not in plain words", tc.name, msg)
		}
	}

	status, body := call(t, "POST", api+"/withhold-ack", map[string]any{"client_id": "c1", "from": "client", "cut": true})
	if status != 200 {
		t.Fatalf("withhold-ack: %d %v", status, body)
	}
	if status, st := call(t, "GET", api, nil); status != 200 || len(st["withheld"].([]any)) != 1 {
		t.Errorf("GET faults: %d %v, want the withheld ack", status, st)
	}
	sb := ts.labs.Lookup(labs.PersonalLearner)
	if err := sb.Publish("lab/faults", []byte("again"), 1, false); err != nil {
		t.Fatal(err)
	}
	sub.Next(t)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "c1" })
	back := labtest.MustDial(t, ts.mqtt, persistent)
	if m := back.Next(t); !m.Duplicate() || string(m.Payload) != "again" {
		t.Fatalf("after the withheld PUBACK the client got %q dup %v", m.Payload, m.Duplicate())
	}

	if status, body := call(t, "POST", api+"/delay", map[string]any{"client_id": "c1", "ms": 50, "seconds": 5}); status != 200 {
		t.Errorf("delay: %d %v", status, body)
	}
	status, body = call(t, "POST", api+"/restart", nil)
	if status != 200 || body["restart"].(map[string]any)["sessions"].(float64) != 1 {
		t.Errorf("restart: %d %v, want the persistent session kept", status, body)
	}
	if status, body := call(t, "POST", api+"/unreachable", map[string]any{"seconds": 1}); status != 200 || body["faults"].(map[string]any)["unreachable_until"] == nil {
		t.Errorf("unreachable: %d %v", status, body)
	}
	if _, ack, err := labtest.Dial(t, ts.mqtt, persistent); err == nil || ack.ReasonCode != 0x88 {
		t.Errorf("a CONNECT while unreachable was not refused with 0x88: %+v %v", ack, err)
	}
	time.Sleep(1100 * time.Millisecond)
	labtest.MustDial(t, ts.mqtt, persistent)
	if status, body := call(t, "POST", api+"/drop", map[string]any{"client_id": "c1"}); status != 200 {
		t.Errorf("drop: %d %v", status, body)
	}
	var dropped uint64
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		if e.Kind == labs.KindFault && e.Fault().Fault == labs.FaultDrop {
			dropped = e.Seq
		}
		return dropped != 0 && e.Seq > dropped && e.Kind == labs.KindDisconnect && e.ClientID == "c1" &&
			!e.Disconnect().Graceful && e.Disconnect().SessionKept
	})
}

// TestFaultRoutesRefuseCrossSiteWrites: like every console write, a fault
// cannot be injected from another site's page.
func TestFaultRoutesRefuseCrossSiteWrites(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	req, _ := http.NewRequest("POST", ts.URL+"/api/lab/faults/restart", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site restart got %d, want 403", res.StatusCode)
	}
}

// TestQoS1RedeliveryExerciseSolvedFromTheConsole: the exercise's "no
// install" solution. A console client with clean start off subscribes at
// QoS 1; Check loses its PUBACK and cuts it; the learner presses Reconnect
// on its card; the broker sends the value again with DUP=1 and Check passes.
func TestQoS1RedeliveryExerciseSolvedFromTheConsole(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	api := ts.URL + "/api/lab/clients"
	status, body := call(t, "POST", api, map[string]any{"client_id": "my-phone", "protocol": "5", "clean_start": false, "session_expiry": 300})
	if status != http.StatusCreated {
		t.Fatalf("open: %d %v", status, body)
	}
	id := body["client"].(map[string]any)["id"].(string)
	if status, body := call(t, "POST", api+"/"+id+"/subscribe", map[string]any{"filter": "devices/ESPDEVICE/sensors/TC/value", "qos": 1}); status != 200 {
		t.Fatalf("subscribe: %d %v", status, body)
	}
	web := browser(t)
	res := make(chan response, 1)
	go func() {
		res <- postJSON(t, web, ts.URL+"/api/courses/mqtt_course/exercises/qos1-redelivery/check", "{}")
	}()
	sb := ts.labs.Lookup(labs.PersonalLearner)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "my-phone" })
	// The card shows the connection lost: the learner presses Reconnect.
	deadline := time.Now().Add(labtest.Wait)
	for {
		status, body := call(t, "POST", api+"/"+id+"/connect", nil)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reconnect: %d %v", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case r := <-res:
		if r.status != 200 || !strings.Contains(r.body, `"passed":true`) || !strings.Contains(r.body, "DUP=1") {
			t.Fatalf("Check after reconnecting from the console: %d %s", r.status, r.body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Check did not answer within 20 s of the reconnect")
	}
}
