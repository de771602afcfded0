package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// TestLearnerPageShowsTheirLabChecksAndProgress: a learner connects a real
// client with a will, subscribes to the wrong filter, publishes a retained
// status and presses Check. Their page shows that client with its protocol,
// clean session, will and subscription, the retained topic, the message,
// the failed check with the packets behind it, and their progress; the
// reset asks first naming them, then throws the lab away and leaves a line
// in their fresh lab telling them.
func TestLearnerPageShowsTheirLabChecksAndProgress(t *testing.T) {
	ts := startServer(t, actuatorCourse(), true)
	ada := joinWithClient(t, ts, "Ada", "ada-sensor", "devices/ESPDEVICE/sensors/+/value")
	ada.mqtt.Disconnect(&paho.Disconnect{})
	lab := labOf(t, ada.web, ts)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "ada-sensor", CleanStart: true,
		Username: lab.Username, UsernameFlag: true, Password: []byte(lab.Password), PasswordFlag: true,
		WillMessage: &paho.WillMessage{Topic: "devices/ESPDEVICE/status", Payload: []byte("offline"), QoS: 1, Retain: true}})
	c.Sub(t, "devices/ESPDEVICE/sensors/+/value", 1)
	c.Pub(t, "devices/ESPDEVICE/status", "online", 1, true)
	ada.pressCheck(t, ts)
	teacher := instructor(t, ts)

	page := do(t, teacher, "GET", ts.URL+"/teach/learners/"+url.PathEscape(ada.id), nil)
	if page.status != 200 {
		t.Fatalf("learner page: %d %s", page.status, page.body)
	}
	for _, want := range []string{
		`<tr data-client="ada-sensor"><th scope="row"><code>ada-sensor</code></th>`,
		"<td>connected</td>", "<td>MQTT 5</td>", "<td>yes</td>",
		`<code>devices/ESPDEVICE/status</code> QoS 1 retained: <code>offline</code>`,
		`<code>devices/ESPDEVICE/sensors/&#43;/value</code> QoS 1`,
		`<li><code>devices/ESPDEVICE/status</code> <span class="muted">QoS 1 · by ada-sensor</span>: <code>online</code></li>`,
		`✗ Not yet</strong> · Sensor and LED`,
		`<details class="check-timeline" open>`,
		`<span class="tl-client">ada-sensor</span><span class="tl-text">SUBSCRIBE devices/ESPDEVICE/sensors/&#43;/value (asked QoS 1, granted 1)</span>`,
		`class="tl-check tl-wrong" aria-current="step"`,
		`<span class="kind">exercise</span> Sensor and LED<span class="visually-hidden">: tried, not right yet</span>`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the learner page lacks %s", want)
		}
	}
	if r := do(t, teacher, "GET", ts.URL+"/teach/learners/nobody", nil); r.status != http.StatusNotFound || !strings.Contains(r.body, "There is no learner") {
		t.Errorf("an unknown learner: %d", r.status)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/teach/learners/"+url.PathEscape(ada.id)+"/lab", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the lab part without signing in: %d", r.status)
	}

	ask := do(t, teacher, "GET", ts.URL+"/teach/learners/"+url.PathEscape(ada.id)+"/reset-lab", nil)
	if ask.status != 200 || !strings.Contains(ask.body, "<h1>Reset Ada's lab?</h1>") || !strings.Contains(ask.body, "Their clients will be disconnected") {
		t.Fatalf("the reset does not ask first naming Ada: %d\n%s", ask.status, ask.body)
	}
	r := do(t, teacher, "POST", ts.URL+"/teach/learners/"+url.PathEscape(ada.id)+"/reset-lab", url.Values{"back": {"learner"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/teach/learners/"+url.PathEscape(ada.id)+"?reset=1" {
		t.Fatalf("reset: %d → %s", r.status, r.header.Get("Location"))
	}
	if ts.labs.Lookup(ada.id) != nil {
		t.Fatal("Ada's lab outlived the reset")
	}
	// Her next lab (her console reconnecting, say) opens with a line that
	// tells her; only the first.
	for i, want := range []bool{true, false} {
		ts.labs.Reclaim(ada.id)
		sb, err := ts.labs.Sandbox(ada.id, labs.DefaultSetup())
		if err != nil {
			t.Fatal(err)
		}
		told := false
		for _, e := range sb.Journal().Since(0) {
			told = told || e.Kind == labs.KindNotice && e.Notice().Message == labResetNotice
		}
		if told != want {
			t.Errorf("lab %d after the reset: told %v, want %v", i+1, told, want)
		}
	}
	ts.labs.Reclaim(ada.id)
	after := do(t, teacher, "GET", ts.URL+"/teach/learners/"+url.PathEscape(ada.id)+"?reset=1", nil)
	if !strings.Contains(after.body, "Ada's lab was reset") || !strings.Contains(after.body, "This learner has no lab running") {
		t.Errorf("the page after the reset:\n%s", between(t, after.body, "<main", "Their latest checks"))
	}
	// A lab nobody had is not started by a reset, and leaves no line.
	join(t, ts, "Fay")
	ls, err := ts.store.Learners(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == "Fay" {
			do(t, teacher, "POST", ts.URL+"/teach/learners/"+url.PathEscape(l.ID)+"/reset-lab", url.Values{})
			if ts.labs.Lookup(l.ID) != nil {
				t.Error("resetting an unused lab started one")
			}
			sb, _ := ts.labs.Sandbox(l.ID, labs.DefaultSetup())
			if evs := sb.Journal().Since(0); len(evs) > 0 && evs[0].Kind == labs.KindNotice {
				t.Error("a learner who had no lab is told it was reset")
			}
		}
	}
}
