package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/oidc/oidctest"
)

// answerQoSRightly answers the quizzy course's first quiz rightly, as a
// learner does, and waits for the verdict.
func answerQoSRightly(t *testing.T, ctx context.Context) {
	t.Helper()
	browsertest.Step(t, ctx, 30*time.Second,
		chromedp.Click(chromedp.CSS(`form.quiz[data-quiz="qos"] input[value="a2"]`)),
		chromedp.Click(chromedp.CSS(`form.quiz[data-quiz="qos"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.quiz[data-quiz="qos"] .quiz-feedback.right`)),
	)
}

// seesEarlierRightAnswer waits until the section shows the quiz answered
// rightly before, on another device.
func seesEarlierRightAnswer(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, "the answer given on the other browser", `(document.querySelector('form.quiz[data-quiz="qos"] .quiz-feedback.right')||{}).textContent === 'Your answer from before: right.'`)
}

// TestBrowserLearnerSignsInWithSingleSignOnInTwoBrowsers plays a learner
// who signs in with the school's provider on one browser, answers a quiz,
// then signs in on a second, fresh browser and finds the answer there.
func TestBrowserLearnerSignsInWithSingleSignOnInTwoBrowsers(t *testing.T) {
	mock := oidctest.Start(t)
	ts := startServerWith(t, quizFixture(), true, t.TempDir(), func(cfg *config.Config) { cfg.OIDC = mock.Config() })
	signIn := func(ctx context.Context) {
		t.Helper()
		mock.SignsInNext(ssoAda)
		browsertest.Step(t, ctx, 30*time.Second,
			chromedp.Navigate(ts.URL+"/courses/quizzy/one"),
			chromedp.WaitVisible(chromedp.CSS("button.sso")),
			chromedp.Click(chromedp.CSS("button.sso")),
			chromedp.WaitVisible(chromedp.CSS(".prose h1")),
		)
		if u, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(u, "/courses/quizzy/one") {
			t.Fatalf("after signing in the learner is at %q (%v), want the section asked for", u, err)
		}
	}

	laptop := browsertest.New(t, 1366, 900)
	signIn(laptop)
	browsertest.Step(t, laptop, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(".welcome .resume-link")))
	answerQoSRightly(t, laptop)

	phone := browsertest.New(t, 390, 844)
	signIn(phone)
	seesEarlierRightAnswer(t, phone)
	if n, err := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll('.welcome').length`)); err != nil || n != 0 {
		t.Errorf("signing in again shows the welcome panel (%d, %v)", n, err)
	}
}

// TestBrowserLearnerMovesToAnotherBrowserByResumeLink plays a learner who
// joins with a name, keeps the link the first page shows, answers a quiz,
// and continues on a second, fresh browser by that link; after the
// instructor reissues it, the old link gets a clear page on a third.
func TestBrowserLearnerMovesToAnotherBrowserByResumeLink(t *testing.T) {
	ts := startServer(t, quizFixture(), true)
	laptop := browsertest.New(t, 1366, 900)
	browsertest.Step(t, laptop, 30*time.Second,
		chromedp.Navigate(ts.URL+"/courses/quizzy/one"),
		chromedp.WaitVisible(chromedp.CSS("input#name")),
		chromedp.SendKeys(chromedp.CSS("input#name"), "Ada Lovelace"),
		chromedp.Submit(chromedp.CSS("input#name")),
		chromedp.WaitVisible(chromedp.CSS(".welcome .resume-link")),
	)
	link, err := chromedp.Run(laptop, chromedp.Text(chromedp.CSS(".welcome .resume-link")))
	if err != nil || !resumeLinkRE.MatchString(link) {
		t.Fatalf("the panel's link %q (%v)", link, err)
	}
	// "Got it" puts the panel away without leaving the page.
	browsertest.Step(t, laptop, 10*time.Second,
		chromedp.Click(chromedp.CSS(".welcome [data-dismiss]")),
		chromedp.WaitNotPresent(chromedp.CSS(".welcome")),
	)
	answerQoSRightly(t, laptop)

	phone := browsertest.New(t, 390, 844)
	browsertest.Step(t, phone, 30*time.Second,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`form[action^="/resume/"] button`)),
	)
	if h, _ := chromedp.Run(phone, chromedp.Text(chromedp.CSS("h1"))); h != "Continue as Ada Lovelace?" {
		t.Errorf("the link asks %q", h)
	}
	browsertest.Step(t, phone, 30*time.Second,
		chromedp.Click(chromedp.CSS(`form[action^="/resume/"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".progress-course")),
		chromedp.Navigate(ts.URL+"/courses/quizzy/one"),
		chromedp.WaitVisible(chromedp.CSS(".prose h1")),
	)
	seesEarlierRightAnswer(t, phone)

	// The instructor makes a new link; the old one now says it was replaced.
	teacher := instructor(t, ts)
	id := strings.TrimPrefix(mustURL(t, link).Path, "/resume/")
	l, err := ts.store.LearnerByResumeLink(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, teacher, "POST", ts.URL+"/teach/learners/"+l.ID+"/resume-link", url.Values{}); r.status != 200 {
		t.Fatalf("reissue: %d", r.status)
	}
	other := browsertest.New(t, 390, 844)
	browsertest.Step(t, other, 30*time.Second, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".alert-error")))
	msg, err := chromedp.Run(other, chromedp.Text(chromedp.CSS(".alert-error")))
	if err != nil || !strings.Contains(msg, "replaced by a newer one") {
		t.Errorf("the old link says %q (%v)", msg, err)
	}
	if n, _ := chromedp.Run(other, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/resume/"]').length`)); n != 0 {
		t.Error("the old link still offers to continue")
	}
}

// TestBrowserSignInChoiceAndWelcomePanelFitPhoneAndDesktop looks at the
// join page offering the school's sign-in and at the panel after joining,
// at 1366 and 390 px, light and dark: nothing wider than the screen, axe
// finds nothing serious, and screenshots to look at ($SCREENSHOT_DIR).
func TestBrowserSignInChoiceAndWelcomePanelFitPhoneAndDesktop(t *testing.T) {
	axe := axeScript(t)
	mock := oidctest.Start(t)
	ts := startServerWith(t, courses.FS, true, t.TempDir(), func(cfg *config.Config) { cfg.OIDC = mock.Config() })
	for _, size := range []struct {
		name          string
		width, height int
	}{{"1366", 1366, 900}, {"390", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := browsertest.New(t, size.width, size.height)
			look := func(page, scheme string) {
				t.Helper()
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				}); err != nil {
					t.Fatal(err)
				}
				wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if err != nil || wide {
					t.Errorf("%s (%s) is wider than the %d px screen (%v)", page, scheme, size.width, err)
				}
				audit(t, ctx, axe, page+" ("+scheme+", "+size.name+")")
				shot(t, ctx, page+"-"+size.name+"-"+scheme+".png")
			}
			browsertest.Step(t, ctx, 30*time.Second,
				chromedp.Navigate(ts.URL+"/courses/mqtt_course/topics"),
				chromedp.WaitVisible(chromedp.CSS("button.sso")),
			)
			look("signin-choice", "light")
			look("signin-choice", "dark")
			browsertest.Step(t, ctx, 30*time.Second,
				chromedp.SendKeys(chromedp.CSS("input#name"), "Ada Lovelace "+size.name),
				chromedp.Submit(chromedp.CSS("input#name")),
				chromedp.WaitVisible(chromedp.CSS(".welcome .welcome-qr svg")),
			)
			look("welcome-panel", "light")
			look("welcome-panel", "dark")
		})
	}
}
