package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/browsertest"
)

// TestBrowserClassroomLearnerJoinsAndTheInstructorWatchesLive plays a class:
// a learner joins with their name and answers a quiz; the instructor, in
// another browser, signs in with the token and sees the answer arrive in
// the class table without reloading.
func TestBrowserClassroomLearnerJoinsAndTheInstructorWatchesLive(t *testing.T) {
	ts := startServer(t, courses.FS, true)
	learner := browsertest.New(t, 1366, 900)
	teacher := browsertest.New(t, 1366, 900)

	browsertest.Step(t, learner, 30*time.Second,
		chromedp.Navigate(ts.URL+"/courses/mqtt_course/topics"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
	)
	shot(t, learner, "join-1366.png")
	browsertest.Step(t, learner, 30*time.Second,
		chromedp.SendKeys(chromedp.CSS("input#name"), "Ada Lovelace"),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS(".prose h1")),
	)
	url, err := chromedp.Run(learner, chromedp.Location())
	if err != nil || !strings.HasSuffix(url, "/courses/mqtt_course/topics") {
		t.Fatalf("after joining the learner is at %q (%v), want the page they asked for", url, err)
	}

	browsertest.Step(t, teacher, 30*time.Second,
		chromedp.Navigate(ts.URL+"/teach"),
		chromedp.WaitVisible(chromedp.CSS("input#token")),
		chromedp.SendKeys(chromedp.CSS("input#token"), testInstructorToken),
		chromedp.Submit(chromedp.CSS("input#token")),
		chromedp.WaitVisible(chromedp.CSS(".class-table")),
		chromedp.WaitVisible(chromedp.CSS("[data-live]")),
	)
	table, err := chromedp.Run(teacher, chromedp.Text(chromedp.CSS(".class-table")))
	if err != nil || !strings.Contains(table, "Ada Lovelace") {
		t.Fatalf("class table lacks the learner: %q %v", table, err)
	}

	// The learner answers the Topics quiz wrongly; the teacher's table shows
	// a ✗ without a reload.
	browsertest.Step(t, learner, 30*time.Second,
		chromedp.Click(chromedp.CSS(`form.quiz input[value="a1"]`)),
		chromedp.Click(chromedp.CSS(`form.quiz button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.quiz-feedback.right, .quiz-feedback.wrong`)),
	)
	deadline := time.Now().Add(10 * time.Second)
	for {
		cells, err := chromedp.Run(teacher, chromedp.Evaluate[int](`(function () { var d = document.querySelector('.class-table [data-done]'); return (d ? +d.textContent : 0) + document.querySelectorAll('.class-table td.cell.tried').length; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if cells >= 2 { // the section read and its quiz answered (done, or tried)
			break
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(teacher, chromedp.Evaluate[string](`document.querySelector('.class-table tbody').innerHTML`))
			t.Fatalf("the class table did not update live: %d cells filled:\n%s", cells, html)
		}
		time.Sleep(100 * time.Millisecond)
	}
	shot(t, teacher, "teach-1366.png")
}

// shot saves a screenshot of the page in ctx (see saveShot).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveShot(t, ctx, name, false)
}
