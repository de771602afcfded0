package server

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// TestBrowserReadingMarksTheSectionAndAnswersShowAgain: a section becomes
// read once the learner has seen its end for a moment (not on opening), its
// mark appears without a reload, and a quiz answered shows its answer again
// on the next visit.
func TestBrowserReadingMarksTheSectionAndAnswersShowAgain(t *testing.T) {
	ts := startServer(t, quizFixture(), false)
	ctx := browsertest.New(t, 1366, 900)
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/quizzy/two"), chromedp.WaitVisible(chromedp.CSS(".prose h1")))
	if m, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-mark="two"]').textContent`)); m != "" {
		t.Errorf("the page is marked %q as soon as it opens", m)
	}
	// "two" is short: its end is in view; after 2 s it counts as read.
	waitJS(t, ctx, "the read mark", `document.querySelector('[data-mark="two"] .read-mark')`)

	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/quizzy/one"), chromedp.WaitVisible(chromedp.CSS("form.quiz")))
	doJS(t, ctx, `document.querySelector('#quiz-qos input[value=a2]').click(); document.querySelector('#quiz-qos button[type=submit]').click()`)
	waitJS(t, ctx, "the verdict", `document.querySelector('#quiz-qos .quiz-feedback.right')`)
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#quiz-qos .quiz-feedback').textContent`)); v != "Yes: maybe twice, never zero times." && v != "Right! Yes: maybe twice, never zero times." {
		t.Errorf("verdict %q", v)
	}
	waitJS(t, ctx, "section one at 1/2 in the sidebar", `document.querySelector('[data-mark="one"]').textContent.startsWith('1/2')`)

	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/quizzy/two"), chromedp.WaitVisible(chromedp.CSS(".prose h1")))
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/quizzy/one"), chromedp.WaitVisible(chromedp.CSS("form.quiz")))
	waitJS(t, ctx, "the answer given before", `document.querySelector('#quiz-qos input[value=a2]').checked && document.querySelector('#quiz-qos .quiz-feedback').textContent.includes('from before')`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#quiz-levels input:checked').length`)); n != 0 {
		t.Errorf("%d answers ticked in a quiz never answered", n)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('.topbar a[href="/progress"]')`)); !ok {
		t.Error("no link to /progress in the top bar")
	}
}

// TestBrowserQuizVerdictSaysRightOnce: the course's feedback starts with
// "Right:", so the page adds no "Right!" of its own.
func TestBrowserQuizVerdictSaysRightOnce(t *testing.T) {
	ts := bundledServer(t)
	ctx := browsertest.New(t, 1366, 900)
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/mqtt_course/http-vs-mqtt"), chromedp.WaitVisible(chromedp.CSS("#quiz-http-vs-mqtt")))
	doJS(t, ctx, `document.querySelector('#quiz-http-vs-mqtt input[value=a2]').click(); document.querySelector('#quiz-http-vs-mqtt button[type=submit]').click()`)
	waitJS(t, ctx, "the verdict", `document.querySelector('#quiz-http-vs-mqtt .quiz-feedback.right')`)
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#quiz-http-vs-mqtt .quiz-feedback').textContent`))
	if !strings.HasPrefix(v, "Right: it subscribes once") {
		t.Errorf("verdict %q, want the course's feedback said once", v)
	}
}
