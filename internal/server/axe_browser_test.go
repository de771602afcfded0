package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/browsertest"
)

// axeScript reads axe-core from tests/axe (npm ci there), or skips the test
// saying so; under CI=true a missing axe-core fails it.
func axeScript(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "tests", "axe")
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed: run `npm ci` in " + dir + " to run the accessibility tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(b)
}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// audit runs axe-core on the page and fails the test for every serious or
// critical violation, contrast included.
func audit(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%s: audited in %v", page, time.Since(start).Round(time.Millisecond)) }()
	// A big page takes axe several seconds, many more on a busy machine.
	c, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("%s: load axe-core: %v", page, err)
	}
	raw, err := chromedp.Run(c, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", page, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("%s: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for i, n := range v.Nodes {
			if i == 4 {
				where = append(where, "…")
				break
			}
			b, _ := json.Marshal(n.Target)
			where = append(where, string(b)+": "+strings.ReplaceAll(n.Summary, "\n", " "))
		}
		t.Errorf("%s: %s (%s): %s\n    %s", page, v.ID, v.Impact, v.Help, strings.Join(where, "\n    "))
	}
}

// TestBrowserEveryPagePassesAxeInLightAndDark audits every kind of page a
// learner and the instructor see, in light and dark mode: no serious or
// critical accessibility violation, colour contrast included.
func TestBrowserEveryPagePassesAxeInLightAndDark(t *testing.T) {
	axe := axeScript(t)
	ts := startServer(t, courses.FS, true)
	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			ctx := browsertest.New(t, 1366, 900)
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				t.Fatal(err)
			}
			visit := func(name, path, ready string) {
				t.Helper()
				browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS(ready)))
				audit(t, ctx, axe, name+" ("+scheme+")")
				saveShot(t, ctx, "axe-"+strings.ReplaceAll(name, " ", "-")+"-"+scheme+".png", true) // with SCREENSHOT_DIR only
				// axe passes a scroll region that holds a link, so a
				// table wrap without links (an overview with no mistake
				// yet) would fail only some of the time: every wrap is a
				// named region that takes the keyboard focus, always.
				bare, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.table-wrap:not([tabindex="0"][role="region"][aria-label])').length`))
				if err != nil || bare != 0 {
					t.Errorf("%s (%s): %d table wrap(s) a keyboard cannot scroll (want tabindex=0, role=region, aria-label) %v", name, scheme, bare, err)
				}
			}
			visit("join", "/join", "input#name")
			browsertest.Step(t, ctx, 30*time.Second,
				// Light and dark join the same class at once: each as its
				// own learner (a name already taken asks "is this you?").
				chromedp.SendKeys(chromedp.CSS("input#name"), "Ada "+scheme),
				chromedp.Submit(chromedp.CSS("input#name")),
			)
			// The join page also has a <main>: wait for the page after it.
			waitJS(t, ctx, "the page after joining", `location.pathname !== '/join' && document.readyState === 'complete'`)
			visit("catalog", "/", ".cards")
			visit("course overview", "/courses/mqtt_course", ".outline")
			visit("section with a quiz", "/courses/mqtt_course/architecture", ".prose h1")
			browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+handsOn), chromedp.WaitVisible(chromedp.CSS("#lab-panel")))
			waitJS(t, ctx, "the console live", `document.querySelector('[data-lab-status]').textContent === 'live'`)
			// The section with every console tab shown at once, a web
			// client in it: one audit.
			doJS(t, ctx, sprintf(jsTab, "clients"))
			doJS(t, ctx, sprintf(jsOpenClient, "web-1", "", ""))
			waitJS(t, ctx, "web-1 connected", sprintf(jsCard, 0)+`?.classList.contains('st-connected')`)
			doJS(t, ctx, `document.querySelectorAll('.lab-pane').forEach(p => p.hidden = false)`)
			audit(t, ctx, axe, "section with the lab console, all its tabs ("+scheme+")")
			visit("progress", "/progress", "main h1")
			visit("resume link", "/resume", ".qr-box")
			visit("not found", "/no/such/page", "main")
			visit("teach login", "/teach", "input#token")
			visit("teach", "/teach?token="+testInstructorToken, "#class-table")
			// The pages the dashboard links to: one learner, one grouped
			// mistake, the instructor sessions. The overview above was
			// audited with nothing to link to (its table then holds no
			// link, so only the table itself takes the focus); now a wrong
			// answer gives it a mistake.
			browsertest.Step(t, ctx, 30*time.Second,
				chromedp.Navigate(ts.URL+"/courses/mqtt_course/architecture"),
				chromedp.Click(chromedp.CSS(`form.quiz input[value="a1"]`)),
				chromedp.Click(chromedp.CSS(`form.quiz button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`.quiz-feedback.wrong`)),
				chromedp.Navigate(ts.URL+"/teach"),
				chromedp.WaitVisible(chromedp.CSS("#class-table")),
			)
			href := func(what, css string) string {
				t.Helper()
				waitJS(t, ctx, what, `document.querySelector('`+css+`')`)
				h, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('`+css+`').getAttribute('href')`))
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				return h
			}
			learner := href("a learner's link", "#class-table a.who")
			mistake := href("the wrong answer in the overview", ".class-overview-mistakes a")
			visit("one learner", learner, "#learner-lab")
			visit("one mistake", mistake, ".mistake-quote")
			visit("sessions", "/teach/sessions", ".class-table")
			visit("classes", "/teach/classes", ".class-list")
			visit("new class", "/teach/classes/new", "input#code")
		})
	}
}
