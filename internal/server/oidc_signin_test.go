package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/oidc/oidctest"
	"github.com/courselab/courselab/internal/store"
)

var (
	ssoAda   = oidctest.Person{Subject: "sub-ada", Name: "  Ada   Lovelace ", Email: "ada@school.example", EmailVerified: true}
	ssoGrace = oidctest.Person{Subject: "sub-grace", Name: "Grace Hopper", Email: "grace@school.example", EmailVerified: true, Groups: []string{"staff", "teachers"}}
	ssoEve   = oidctest.Person{Subject: "sub-eve", Name: "Eve", Email: "eve@school.example", EmailVerified: true, Groups: []string{"learners"}}
)

// ssoClassroom is a classroom whose learners and instructors may sign in
// with an OpenID Connect provider running in the test.
func ssoClassroom(t *testing.T) (*testServer, *oidctest.Provider) {
	t.Helper()
	mock := oidctest.Start(t)
	ts := startServerWith(t, quizFixture(), true, t.TempDir(), func(cfg *config.Config) { cfg.OIDC = mock.Config() })
	return ts, mock
}

// ssoStart presses "Sign in with …" and lets the provider sign the queued
// person in: it returns where the provider sends the browser back.
func ssoStart(t *testing.T, ts *testServer, b *http.Client, as, next string) string {
	t.Helper()
	start := do(t, b, "GET", ts.URL+"/auth/oidc/start?as="+as+"&next="+url.QueryEscape(next), nil)
	if start.status != http.StatusSeeOther {
		t.Fatalf("start sign-in: %d %s", start.status, start.body)
	}
	at := do(t, b, "GET", start.header.Get("Location"), nil)
	back := at.header.Get("Location")
	if at.status != http.StatusFound || !strings.HasPrefix(back, ts.URL+"/auth/oidc/callback?") {
		t.Fatalf("the provider answered %d → %q", at.status, back)
	}
	return back
}

// ssoSignIn signs the queued person in on b and returns the callback's answer.
func ssoSignIn(t *testing.T, ts *testServer, b *http.Client, as, next string) response {
	t.Helper()
	return do(t, b, "GET", ssoStart(t, ts, b, as, next), nil)
}

func TestLearnerSignsInWithSingleSignOnAndContinuesOnAnotherDevice(t *testing.T) {
	ts, mock := ssoClassroom(t)
	if r := do(t, browser(t), "GET", ts.URL+"/join?next=/courses/quizzy/one", nil); !strings.Contains(r.body, `formaction="/auth/oidc/start" formmethod="get"`) ||
		!strings.Contains(r.body, `name="next" value="/courses/quizzy/one"`) ||
		!strings.Contains(r.body, "Sign in with School SSO") || !strings.Contains(r.body, `name="name"`) {
		t.Fatalf("the join page does not offer both ways in:\n%s", r.body)
	}

	laptop := browser(t)
	mock.SignsInNext(ssoAda)
	r := ssoSignIn(t, ts, laptop, "", "/courses/quizzy/one")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/courses/quizzy/one" {
		t.Fatalf("sign-in: %d → %q %s", r.status, r.header.Get("Location"), r.body)
	}
	first := do(t, laptop, "GET", ts.URL+"/courses/quizzy/one", nil)
	if !strings.Contains(first.body, `id="welcome-title"`) || resumeLinkRE.FindString(first.body) == "" {
		t.Error("the first page after a first sign-in does not show the resume link")
	}
	if r := postJSON(t, laptop, ts.URL+"/api/courses/quizzy/quizzes/qos/answer", `{"answers":["a2"]}`); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	me := labOf(t, laptop, ts).Username
	l, err := ts.store.Learner(context.Background(), me)
	if err != nil || l.Name != "Ada Lovelace" {
		t.Errorf("the learner is %+v (%v), want the provider's name, trimmed", l, err)
	}

	phone := browser(t)
	mock.SignsInNext(ssoAda)
	if r := ssoSignIn(t, ts, phone, "", "/progress"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/progress" {
		t.Fatalf("second sign-in: %d → %q", r.status, r.header.Get("Location"))
	}
	if got := labOf(t, phone, ts).Username; got != me {
		t.Errorf("on the phone the learner is %q, on the laptop %q", got, me)
	}
	if q := progressOf(t, phone, ts).Courses["quizzy"].Quizzes["qos"]; !q.Correct {
		t.Errorf("the phone does not see the answer given on the laptop: %+v", q)
	}
	if p := do(t, phone, "GET", ts.URL+"/courses/quizzy/one", nil); strings.Contains(p.body, `id="welcome-title"`) {
		t.Error("signing in again shows the welcome panel again")
	}
	all, _ := ts.store.Learners(context.Background())
	if len(all) != 1 {
		t.Errorf("two sign-ins of one person made %d learners", len(all))
	}
}

// TestSingleSignOnWithAClassCodeJoinsThatClass: the join form's code goes
// with the sign-in. A wrong code or a closed class is told before the
// provider is asked, and the code only places a learner on their first
// sign-in.
func TestSingleSignOnWithAClassCodeJoinsThatClass(t *testing.T) {
	ts, mock := ssoClassroom(t)
	ctx := context.Background()
	monday, err := ts.store.CreateClass(ctx, store.Class{Name: "Monday", Code: "MON42", Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.store.CreateClass(ctx, store.Class{Name: "Last year", Code: "OLD1", Open: false}); err != nil {
		t.Fatal(err)
	}
	// The sign-in button submits the join form, so the page must let forms
	// lead to the provider.
	issuer, _ := url.Parse(mock.Config().Issuer)
	if csp := do(t, browser(t), "GET", ts.URL+"/join", nil).header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://"+issuer.Host+";") {
		t.Errorf("the join page's policy keeps forms from the provider: %s", csp)
	}
	start := func(b *http.Client, code string) response {
		return do(t, b, "GET", ts.URL+"/auth/oidc/start?name=&code="+url.QueryEscape(code)+"&next=%2Fprogress", nil)
	}

	if r := start(browser(t), "nope9"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "No class has the code &#34;NOPE9&#34;") ||
		!strings.Contains(r.body, `value="NOPE9"`) || !strings.Contains(r.body, "Sign in with School SSO") {
		t.Fatalf("a wrong code: %d\n%s", r.status, r.body)
	}
	if r := start(browser(t), "old1"); r.status != http.StatusForbidden || !strings.Contains(r.body, "The class <strong>Last year</strong> does not take new learners") {
		t.Fatalf("a closed class: %d\n%s", r.status, r.body)
	}

	laptop := browser(t)
	r := start(laptop, " mon42 ")
	if r.status != http.StatusSeeOther {
		t.Fatalf("start with a code: %d %s", r.status, r.body)
	}
	mock.SignsInNext(ssoAda)
	at := do(t, laptop, "GET", r.header.Get("Location"), nil)
	if back := do(t, laptop, "GET", at.header.Get("Location"), nil); back.status != http.StatusSeeOther || back.header.Get("Location") != "/progress" {
		t.Fatalf("callback: %d → %q %s", back.status, back.header.Get("Location"), back.body)
	}
	me := labOf(t, laptop, ts).Username
	if l, err := ts.store.Learner(ctx, me); err != nil || l.Class != monday.ID {
		t.Fatalf("the learner who signed in with Monday's code is %+v (%v)", l, err)
	}

	// Later, on another device, without a code: still in Monday's class.
	phone := browser(t)
	mock.SignsInNext(ssoAda)
	if r := ssoSignIn(t, ts, phone, "", "/progress"); r.status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", r.status)
	}
	if l, err := ts.store.Learner(ctx, labOf(t, phone, ts).Username); err != nil || l.ID != me || l.Class != monday.ID {
		t.Errorf("after a sign-in without a code the learner is %+v (%v)", l, err)
	}
}

func TestInstructorSignsInWithSingleSignOnByGroup(t *testing.T) {
	ts, mock := ssoClassroom(t)
	if r := do(t, browser(t), "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized || !strings.Contains(r.body, `href="/auth/oidc/start?as=instructor&amp;next=/teach"`) {
		t.Fatalf("the instructor's sign-in page does not offer single sign-on: %d", r.status)
	}
	b := browser(t)
	mock.SignsInNext(ssoGrace)
	if r := ssoSignIn(t, ts, b, "instructor", ""); r.status != http.StatusSeeOther || r.header.Get("Location") != "/teach" {
		t.Fatalf("instructor sign-in: %d → %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if r := do(t, b, "GET", ts.URL+"/teach", nil); r.status != 200 {
		t.Fatalf("/teach after signing in: %d", r.status)
	}
	if r := do(t, b, "GET", ts.URL+"/teach/sessions", nil); !strings.Contains(r.body, "grace@school.example via School SSO") {
		t.Errorf("the sessions page does not name the instructor:\n%s", r.body)
	}
	if all, _ := ts.store.Learners(context.Background()); len(all) != 0 {
		t.Errorf("an instructor's sign-in made %d learners", len(all))
	}
}

func TestSomeoneWhoIsNotAnInstructorIsToldSoAndGetsNothing(t *testing.T) {
	ts, mock := ssoClassroom(t)
	b := browser(t)
	mock.SignsInNext(ssoEve)
	r := ssoSignIn(t, ts, b, "instructor", "/teach")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "You signed in with School SSO as eve@school.example, who is not among this class") ||
		!strings.Contains(r.body, `href="/teach"`) {
		t.Fatalf("a learner signing in as instructor: %d\n%s", r.status, r.body)
	}
	if r := do(t, b, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized {
		t.Errorf("/teach after a refused sign-in: %d", r.status)
	}
	if r := do(t, b, "GET", ts.URL+"/api/lab", nil); r.status != http.StatusUnauthorized {
		t.Errorf("a refused instructor became a learner: %d", r.status)
	}
	if list, _ := ts.store.InstructorSessions(context.Background()); len(list) != 0 {
		t.Errorf("a refused sign-in left %d instructor sessions", len(list))
	}
}

func TestAReplayedOrUnknownSignInGetsAClearPageAndChangesNothing(t *testing.T) {
	ts, mock := ssoClassroom(t)
	ada := join(t, ts, "Ada Byron") // a learner already in class, who must not notice

	// Grace signs in; the address the provider sent her back to is replayed.
	b := browser(t)
	mock.SignsInNext(ssoGrace)
	back := ssoStart(t, ts, b, "", "/")
	stolen, _ := url.Parse(ts.URL)
	copied := b.Jar.Cookies(stolen)
	if r := do(t, b, "GET", back, nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	grace := labOf(t, b, ts).Username

	again := do(t, b, "GET", back, nil)
	if again.status != http.StatusBadRequest || !strings.Contains(again.body, "This sign-in cannot be completed") || !strings.Contains(again.body, "Start sign-in with School SSO again") {
		t.Errorf("the same browser replaying its return: %d\n%s", again.status, again.body)
	}
	// Another browser holding a copy of the sign-in's cookie.
	thief := browser(t)
	thief.Jar.SetCookies(stolen, copied)
	if r := do(t, thief, "GET", back, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "This sign-in cannot be completed") {
		t.Errorf("a copied cookie replaying the return: %d", r.status)
	}
	if r := do(t, thief, "GET", ts.URL+"/api/lab", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the replay signed someone in: %d", r.status)
	}
	// A state this server never gave out, and a return without any.
	for _, q := range []string{"?state=AAAAAAAAAAAAAAAAAAAAAAAA&code=x", "?code=x", "?state=%ff%fe&code=x"} {
		if r := do(t, browser(t), "GET", ts.URL+"/auth/oidc/callback"+q, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Start sign-in") {
			t.Errorf("callback%s: %d", q, r.status)
		}
	}
	// Nothing else was affected.
	if got := labOf(t, b, ts).Username; got != grace {
		t.Errorf("the replays changed who the first browser is: %q, was %q", got, grace)
	}
	if p := progressOf(t, ada, ts); p.Learner == "" {
		t.Error("the learner already in class lost her session")
	}
	if all, _ := ts.store.Learners(context.Background()); len(all) != 2 {
		t.Errorf("%d learners after the replays, want Ada and Grace", len(all))
	}
}

func TestAProviderRefusalOrAnUnusableNameGetsAClearPage(t *testing.T) {
	ts, mock := ssoClassroom(t)
	// The person pressed "Cancel" at the provider.
	b := browser(t)
	back, _ := url.Parse(ssoStart(t, ts, b, "", "/"))
	q := back.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	q.Set("error_description", "The user cancelled")
	back.RawQuery = q.Encode()
	if r := do(t, b, "GET", back.String(), nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "School SSO did not sign you in") || !strings.Contains(r.body, "The user cancelled") {
		t.Errorf("a refusal: %d\n%s", r.status, r.body)
	}
	// A provider that tells no usable name.
	mock.SignsInNext(oidctest.Person{Subject: "sub-nameless", Name: "\x01\x02"})
	if r := ssoSignIn(t, ts, browser(t), "", "/"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Join with your name instead") {
		t.Errorf("no usable name: %d\n%s", r.status, r.body)
	}
	if all, _ := ts.store.Learners(context.Background()); len(all) != 0 {
		t.Errorf("%d learners after refused sign-ins", len(all))
	}
}

func TestSingleSignOnOffChangesNothingAndAProviderDownSaysSo(t *testing.T) {
	ts := newTestServer(t, true)
	if r := do(t, browser(t), "GET", ts.URL+"/join", nil); strings.Contains(r.body, "/auth/oidc/") {
		t.Error("without --oidc-issuer the join page offers single sign-on")
	}
	if r := do(t, browser(t), "GET", ts.URL+"/auth/oidc/start", nil); r.status != http.StatusNotFound {
		t.Errorf("/auth/oidc/start without single sign-on: %d", r.status)
	}
	down := startServerWith(t, fixture(), true, t.TempDir(), func(cfg *config.Config) {
		cfg.OIDC = config.OIDC{Issuer: "http://127.0.0.1:1/sso", ClientID: "c", ClientSecret: "s", ProviderName: "School SSO", Scopes: []string{"openid"}}
	})
	r := do(t, browser(t), "GET", down.URL+"/auth/oidc/start?next=/courses/hello", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "cannot reach School SSO") || !strings.Contains(r.body, `href="/join?next=%2Fcourses%2Fhello"`) {
		t.Errorf("provider down: %d\n%s", r.status, r.body)
	}
}
