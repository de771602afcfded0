package server

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs/labtest"
)

// actuatorCourse has the exercise a class typically gets wrong: subscribe
// to a sensor and an actuator value with one wildcard filter; learners
// subscribe to the sensors only.
func actuatorCourse() fstest.MapFS {
	return fstest.MapFS{"act/index.md": {Data: []byte("---\nid: act\ntitle: Actuators\n---\n# Wildcards\n\n" +
		"<exercise id=\"sensor-and-led\" title=\"Sensor and LED\">\nSubscribe to the temperature and the LED with one filter.\n\n" +
		"<check type=\"subscribed\" topics=\"devices/ESPDEVICE/sensors/TC/value,devices/ESPDEVICE/actuators/LED/value\" />\n</exercise>\n")}}
}

// testLearner is a joined learner with a real MQTT client in their lab.
type testLearner struct {
	name, id string
	web      *http.Client
	mqtt     *labtest.Client
}

// joinWithClient joins name, connects an MQTT 5 client with their lab
// credentials and subscribes it to filter ("" for none).
func joinWithClient(t *testing.T, ts *testServer, name, clientID, filter string) *testLearner {
	t.Helper()
	b := join(t, ts, name)
	lab := labOf(t, b, ts)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: clientID, CleanStart: true,
		Username: lab.Username, UsernameFlag: true, Password: []byte(lab.Password), PasswordFlag: true})
	if filter != "" {
		c.Sub(t, filter, 0)
	}
	return &testLearner{name: name, id: lab.Username, web: b, mqtt: c}
}

// pressCheck presses Check on the exercise and returns its result sentence.
func (l *testLearner) pressCheck(t *testing.T, ts *testServer) string {
	t.Helper()
	r := postJSON(t, l.web, ts.URL+"/api/courses/act/exercises/sensor-and-led/check", "{}")
	if r.status != 200 {
		t.Fatalf("%s's check: %d %s", l.name, r.status, r.body)
	}
	return r.body
}

// TestOverviewGroupsTheClassesTypicalMistakeAndNamesWhoIsStuck: three
// learners subscribe to the sensors only (each with a client id of their
// own), one connects without subscribing, one gets it right, one never
// starts. The overview counts the typical mistake once per learner with a
// link to exactly those three; ten minutes later the four who failed are
// stuck (the clock moves, nobody sleeps), and twenty minutes later the one
// who passed and left her client connected shows as idle.
func TestOverviewGroupsTheClassesTypicalMistakeAndNamesWhoIsStuck(t *testing.T) {
	ts := startServer(t, actuatorCourse(), true)
	var wrong []*testLearner
	for i, name := range []string{"Ada", "Bob", "Cy"} {
		l := joinWithClient(t, ts, name, fmt.Sprintf("%s-reader-%d", strings.ToLower(name), i), "devices/ESPDEVICE/sensors/+/value")
		if body := l.pressCheck(t, ts); !strings.Contains(body, `"passed":false`) {
			t.Fatalf("%s passed with the sensors only: %s", name, body)
		}
		wrong = append(wrong, l)
	}
	dee := joinWithClient(t, ts, "Dee", "dee-idle", "")
	dee.pressCheck(t, ts)
	eve := joinWithClient(t, ts, "Eve", "eve-both", "devices/ESPDEVICE/+/+/value")
	if body := eve.pressCheck(t, ts); !strings.Contains(body, `"passed":true`) {
		t.Fatalf("Eve's right filter failed: %s", body)
	}
	join(t, ts, "Fay") // never starts
	teacher := instructor(t, ts)

	page := do(t, teacher, "GET", ts.URL+"/teach", nil)
	if page.status != 200 {
		t.Fatalf("/teach: %d", page.status)
	}
	overview := between(t, page.body, `<section class="class-overview"`, `</section>`)
	// The bar says in words what it draws.
	if !strings.Contains(overview, `aria-label="1 passed, 4 tried without passing yet, 1 not started"`) {
		t.Errorf("the exercise's bar lacks its counts in words:\n%s", overview)
	}
	// The typical mistake, once per learner, with its link.
	m := regexp.MustCompile(`<li><a href="([^"]+)"><strong>3 learners</strong></a> \(3 still on it\) · <span class="item">Sensor and LED</span>: <span class="mistake">([^<]+)</span>`).FindStringSubmatch(overview)
	if m == nil {
		t.Fatalf("no \"3 learners\" mistake in the overview:\n%s", overview)
	}
	text := html.UnescapeString(m[2])
	if !strings.Contains(text, `Your client "…" subscribed to devices/ESPDEVICE/sensors/+/value, which does not match devices/ESPDEVICE/actuators/LED/value`) {
		t.Errorf("the grouped mistake reads %q", text)
	}
	if !strings.Contains(overview, "1 learner</strong></a> (1 still on it)") || !strings.Contains(overview, "has no subscription") {
		t.Errorf("Dee's own mistake is not its own group:\n%s", overview)
	}
	if !strings.Contains(overview, "Nobody is stuck") {
		t.Errorf("someone is stuck a minute in:\n%s", between(t, overview, "Stuck now", "</div>"))
	}

	list := do(t, teacher, "GET", ts.URL+html.UnescapeString(m[1]), nil)
	if list.status != 200 || strings.Count(list.body, "data-learner=") != 3 {
		t.Fatalf("the mistake's link: %d, %d learners\n%s", list.status, strings.Count(list.body, "data-learner="), list.body)
	}
	for _, l := range wrong {
		if !strings.Contains(list.body, `href="/teach/learners/`+l.id+`"`) {
			t.Errorf("the mistake's list lacks %s", l.name)
		}
	}
	if strings.Contains(list.body, dee.id) || strings.Contains(list.body, eve.id) {
		t.Error("the mistake's list holds learners who did not make it")
	}
	bad := url.Values{"course": {"act"}, "kind": {"quiz"}, "item": {"nope"}, "key": {"x"}}
	if r := do(t, teacher, "GET", ts.URL+"/teach/mistakes?"+bad.Encode(), nil); r.status != 404 {
		t.Errorf("a link to an unknown quiz: %d", r.status)
	}

	// Eleven minutes later: the four who failed are stuck, the longest first.
	start := time.Now()
	ts.srv.clock = func() time.Time { return start.Add(11 * time.Minute) }
	page = do(t, teacher, "GET", ts.URL+"/teach", nil)
	stuck := between(t, page.body, "<h3>Stuck now", "</ul>")
	for _, l := range append(wrong, dee) {
		if !strings.Contains(stuck, `href="/teach/learners/`+l.id+`">`+l.name+`</a> <span class="muted">failing Sensor and LED for 11 min (1 checks)`) {
			t.Errorf("%s is not listed as stuck:\n%s", l.name, stuck)
		}
	}
	if strings.Contains(stuck, eve.id) {
		t.Error("Eve passed yet is stuck")
	}
	if !strings.Contains(page.body, `<strong>4</strong> stuck`) {
		t.Error("the table's stuck count disagrees with the overview")
	}

	// Twenty-five minutes later Eve, who passed, sits idle with her client
	// connected; Fay, with no lab open, is not listed.
	ts.srv.clock = func() time.Time { return start.Add(25 * time.Minute) }
	stuck = between(t, do(t, teacher, "GET", ts.URL+"/teach", nil).body, "<h3>Stuck now", "</ul>")
	if !strings.Contains(stuck, `>Eve</a> <span class="muted">no activity for 25 min, with a client connected to their lab`) || strings.Contains(stuck, "Fay") {
		t.Errorf("idle learners:\n%s", stuck)
	}
}

// between returns the part of s from the first from up to the next to.
func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	if i < 0 {
		t.Fatalf("%q not found", from)
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j+len(to)]
}
