package content

import (
	"reflect"
	"strings"
	"testing"
)

const exerciseMD = `# Hands on

<exercise id="hands-on-sensor" title="See your own value arrive">
Push a value with curl while a client listens.

<hint>Subscribe first.</hint>
<solution>
Use the secret topic SECRET-TOPIC.
</solution>

<check type="delivered" topic="devices/ESPDEVICE/sensors/TC/value" source="REST" />
<check type="rest" method="post" path="/api/v2/devices/ESPDEVICE/sensors/TC/value" />
</exercise>

# Exercise

<exercise id="all-device-values" title="Listen to every value of a device">
Receive everything.

<check type="received" device="ESPDEVICE" timeout="20s" />
</exercise>
`

func TestExercisesAreParsedIntoTheModel(t *testing.T) {
	cat := Load(mapFS("demo/index.md", "---\ntitle: Demo\n---\n"+exerciseMD), Options{})
	c := cat.Course("demo")
	if len(cat.Problems) != 0 {
		t.Fatalf("problems:\n%s", dumpProblems(cat.Problems))
	}
	if len(c.Exercises) != 2 || len(c.Sections[0].Exercises) != 1 || len(c.Sections[1].Exercises) != 1 {
		t.Fatalf("exercises = %+v", c.Exercises)
	}
	first := c.Exercise("hands-on-sensor")
	want := &Exercise{
		ID: "hands-on-sensor", Title: "See your own value arrive", Section: "hands-on", Line: 6,
		Checks: []Check{
			{Type: "delivered", Args: map[string]string{"topic": "devices/ESPDEVICE/sensors/TC/value", "source": "rest"}, Line: 14},
			{Type: "rest", Args: map[string]string{"method": "POST", "path": "/api/v2/devices/ESPDEVICE/sensors/TC/value"}, Line: 15},
		},
	}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("exercise =\n%+v\nwant\n%+v", first, want)
	}
	second := c.Exercise("all-device-values")
	if second.Section != "exercise" || second.Checks[0].Arg("timeout") != "20s" || second.Checks[0].Arg("qos") != "" {
		t.Errorf("second exercise = %+v", second)
	}
	if c.Exercise("nope") != nil || (*Course)(nil).Exercise("x") != nil {
		t.Error("unknown exercise found")
	}
	if got := (Check{Type: "received"}).Arg("timeout"); got != "10s" {
		t.Errorf("default timeout = %q", got)
	}

	page := string(c.Sections[0].HTML)
	for _, secret := range []string{"delivered", "devices/ESPDEVICE/sensors/TC/value", "<check", "source="} {
		if strings.Contains(page, secret) {
			t.Errorf("page reveals the check (%q):\n%s", secret, page)
		}
	}
	if !strings.Contains(page, "SECRET-TOPIC") || !strings.Contains(page, `<details class="solution">`) {
		t.Errorf("solution not folded into the page:\n%s", page)
	}
}

func TestMalformedExerciseKeepsItsErrorsAndTheCourseServes(t *testing.T) {
	md := "# A\n\n<exercise id=\"x\" title=\"X\">\nGoal.\n\n<check type=\"recieved\" device=\"ESPDEVICE\" />\n</exercise>\n\n# B\n\nStill here.\n"
	cat := Load(mapFS("demo/index.md", "---\ntitle: Demo\n---\n"+md), Options{})
	c := cat.Course("demo")
	if c == nil || len(c.Sections) != 2 {
		t.Fatalf("course not served: %v", cat.Problems)
	}
	e := c.Exercise("x")
	if len(e.Problems) != 1 || e.Problems[0].Line != 9 || e.Problems[0].Severity != Error ||
		!strings.Contains(e.Problems[0].Message, `unknown check type "recieved": use one of received, subscribed`) {
		t.Errorf("exercise problems = %v", e.Problems)
	}
	if len(c.Problems) != 1 || c.Problems[0] != e.Problems[0] {
		t.Errorf("course problems = %v", c.Problems)
	}
	page := string(c.Sections[0].HTML)
	if !strings.Contains(page, `<div class="alert alert-danger authoring-error" role="note">`) || !strings.Contains(page, "<button type=\"submit\" disabled>") {
		t.Errorf("authoring error not shown:\n%s", page)
	}
}
