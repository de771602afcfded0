package server

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// TestBrowserAnInstructorRunsTwoClasses plays an instructor with two
// classes: they create class B with a code, a learner joins B with the
// code, another joins without one (the default class); /teach switches
// between the classes, each showing its own learner, and the CSV follows
// the class shown. A wrong code and, once B is closed, its code each get a
// clear page.
func TestBrowserAnInstructorRunsTwoClasses(t *testing.T) {
	ts := newTestServer(t, true)
	teacher := browsertest.New(t, 1366, 900)
	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.Navigate(ts.URL+"/teach?token="+testInstructorToken),
		chromedp.WaitVisible(chromedp.CSS(".class-switch")),
		chromedp.Click(chromedp.CSS(".class-switch a.add")),
		chromedp.WaitVisible(chromedp.CSS("input#code")),
	)
	doJS(t, teacher, `document.querySelector('input#code').value = ''`) // the code made up for the class, replaced
	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.SendKeys(chromedp.CSS("input#name"), "Class B"),
		chromedp.SendKeys(chromedp.CSS("input#code"), "bee-22"),
		chromedp.Click(chromedp.CSS(`input[name=course][value=loose]`)),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	list, err := chromedp.Run(teacher, chromedp.Text(chromedp.CSS(".class-list")))
	if err != nil || !strings.Contains(list, "Class B") || !strings.Contains(list, "BEE-22") {
		t.Fatalf("the class list after creating B: %q %v", list, err)
	}

	bea := browsertest.New(t, 390, 800)
	browsertest.Step(t, bea, 30*time.Second,
		chromedp.Navigate(ts.URL+"/join?code=BEE-22"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Bea"),
		chromedp.Submit(chromedp.CSS("input#name")),
	)
	waitJS(t, bea, "Bea's catalog", `location.pathname === '/' && document.body.textContent.includes('Your class: Class B')`)
	dan := browsertest.New(t, 1366, 900)
	browsertest.Step(t, dan, 30*time.Second,
		chromedp.Navigate(ts.URL+"/join"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Dan"),
		chromedp.Submit(chromedp.CSS("input#name")),
	)
	waitJS(t, dan, "Dan's catalog", `location.pathname === '/'`)

	// The default class first, then B through the switcher.
	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.Navigate(ts.URL+"/teach"),
		chromedp.WaitVisible(chromedp.CSS("#class-table")),
	)
	waitJS(t, teacher, "Dan in the default class", `document.querySelector('#class-table').textContent.includes('Dan')`)
	if txt := text(t, teacher, "#class-table"); strings.Contains(txt, "Bea") {
		t.Errorf("the default class shows Bea:\n%s", txt)
	}
	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.Click(chromedp.CSS(`.class-switch a:nth-child(2)`)),
		chromedp.WaitVisible(chromedp.CSS(".join-code")),
	)
	waitJS(t, teacher, "Bea in class B", `document.querySelector('#class-table').textContent.includes('Bea')`)
	if txt := text(t, teacher, "#class-table"); strings.Contains(txt, "Dan") || strings.Contains(txt, "Hello course") {
		t.Errorf("class B shows Dan or a course it does not take:\n%s", txt)
	}
	csv, err := chromedp.Run(teacher, chromedp.Evaluate[string](`fetch(document.querySelector('a[download]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.Contains(csv, ",Bea,") || strings.Contains(csv, "Dan") {
		t.Errorf("class B's CSV: %q %v", csv, err)
	}
	shot(t, teacher, "teach-classes-1366.png")

	// A wrong code: the form again, the code marked, the name kept.
	eve := browsertest.New(t, 1366, 900)
	browsertest.Step(t, eve, 30*time.Second,
		chromedp.Navigate(ts.URL+"/join"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Eve"),
		chromedp.SendKeys(chromedp.CSS("input#code"), "NOPE-99"),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS("#code-error")),
	)
	if msg := text(t, eve, "#code-error"); !strings.Contains(msg, "No class has the code") {
		t.Errorf("wrong code says %q", msg)
	}
	shot(t, eve, "join-wrong-code-1366.png")

	// B closed: its code gets the closed page.
	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.Navigate(ts.URL+"/teach/classes"),
		chromedp.Click(chromedp.CSS(`.class-list tbody tr:nth-child(2) td:last-child a`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=open]`)),
		chromedp.Click(chromedp.CSS(`input[name=open]`)),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS(".closed-badge")),
	)
	browsertest.Step(t, eve, 30*time.Second,
		chromedp.Navigate(ts.URL+"/join?code=BEE-22"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Eve"),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS("#class-closed")),
	)
	if msg := text(t, eve, "#class-closed"); !strings.Contains(msg, "Class B") {
		t.Errorf("closed page says %q", msg)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/", nil); r.status != 303 {
		t.Errorf("a visitor without a cookie: %d", r.status)
	}

	if os.Getenv("SCREENSHOT_DIR") != "" {
		classScreenshots(t, ts)
	}
}

// text reads the text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// classScreenshots takes the pages of classes at 1366 and 390 px, light
// and dark: /teach with its switcher, the join page, the new-class form.
func classScreenshots(t *testing.T, ts *testServer) {
	for _, width := range []int{1366, 390} {
		for _, scheme := range []string{"light", "dark"} {
			ctx := browsertest.New(t, width, 900)
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				t.Fatal(err)
			}
			name := func(page string) string { return fmt.Sprintf("%s-%d-%s.png", page, width, scheme) }
			browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/join?code=BEE-22"), chromedp.WaitVisible(chromedp.CSS("input#name")))
			saveShot(t, ctx, name("join"), true)
			browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/teach?token="+testInstructorToken), chromedp.WaitVisible(chromedp.CSS("#class-table")))
			saveShot(t, ctx, name("teach"), true)
			browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/teach/classes/new"), chromedp.WaitVisible(chromedp.CSS("input#code")))
			saveShot(t, ctx, name("class-new"), true)
		}
	}
}
