package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// timelineCourse has one exercise whose check a QoS 0 subscription fails.
func timelineCourse() fstest.MapFS {
	return fstest.MapFS{"tl/index.md": {Data: []byte("---\nid: tl\ntitle: Timeline\n---\n# One\n\n" +
		"<exercise id=\"sub-qos1\" title=\"Subscribe at QoS 1\">\nSubscribe to the TC value at QoS 1.\n\n" +
		"<check type=\"subscribed\" topics=\"devices/ESPDEVICE/sensors/TC/value\" qos=\"1\" />\n</exercise>\n")}}
}

type timelineStep struct {
	At     string `json:"at"`
	Client string `json:"client"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Wrong  bool   `json:"wrong"`
}

func TestAFailedCheckCarriesItsTimeline(t *testing.T) {
	ts := startServer(t, timelineCourse(), false)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "sensor-reader", CleanStart: true})
	c.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)

	check := func() (passed bool, steps []timelineStep) {
		t.Helper()
		r := postJSON(t, browser(t), ts.URL+"/api/courses/tl/exercises/sub-qos1/check", "{}")
		if r.status != 200 {
			t.Fatalf("check: %d %s", r.status, r.body)
		}
		var body struct {
			Passed   bool           `json:"passed"`
			Timeline []timelineStep `json:"timeline"`
		}
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatal(err)
		}
		return body.Passed, body.Timeline
	}

	passed, steps := check()
	if passed {
		t.Fatal("a QoS 0 subscription passed a check that asks for QoS 1")
	}
	var connect, sub, wrong *timelineStep
	for i := range steps {
		s := &steps[i]
		if s.At == "" {
			t.Errorf("step %d has no time: %+v", i, s)
		}
		switch {
		case s.Kind == "connect" && s.Client == "sensor-reader":
			connect = s
		case s.Kind == "subscribe" && s.Client == "sensor-reader":
			sub = s
		case s.Wrong:
			wrong = s
		}
	}
	if connect == nil || !strings.Contains(connect.Text, "clean start") {
		t.Errorf("no CONNECT with its flags in the timeline: %+v", steps)
	}
	if sub == nil || !strings.Contains(sub.Text, "devices/ESPDEVICE/sensors/TC/value (asked QoS 0, granted 0)") {
		t.Errorf("no SUBSCRIBE with filter and granted QoS: %+v", steps)
	}
	if wrong == nil || wrong != &steps[len(steps)-1] || !strings.Contains(wrong.Text, "QoS") {
		t.Errorf("the failing point is not marked last: %+v", steps)
	}

	// Subscribed at QoS 1 the check passes, and the stored evidence keeps
	// the timeline for the instructor.
	c.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 1)
	passed, steps = check()
	if !passed || len(steps) == 0 || steps[len(steps)-1].Wrong {
		t.Fatalf("passed=%v, timeline %+v", passed, steps)
	}
	p, err := ts.store.Progress(context.Background(), labs.PersonalLearner)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Timeline []timelineStep `json:"timeline"`
	}
	if err := json.Unmarshal(p["tl"].Exercises["sub-qos1"].Evidence, &ev); err != nil || len(ev.Timeline) != len(steps) {
		t.Errorf("stored evidence %s lacks the timeline (%v)", p["tl"].Exercises["sub-qos1"].Evidence, err)
	}
}
