package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var resumeLinkRE = regexp.MustCompile(`http://[^<"\s]+/resume/([A-Za-z0-9_-]+)`)

// TestLearnerContinuesOnAnotherDeviceByResumeLink plays a learner who
// joins on a laptop, opens their resume link on a phone, and an instructor
// who reissues the link: the old one then gets a clear page. A second
// "Ada" is asked whether she is the first.
func TestLearnerContinuesOnAnotherDeviceByResumeLink(t *testing.T) {
	ts := newTestServer(t, true)
	laptop := join(t, ts, "Ada Lovelace")
	mine := do(t, laptop, "GET", ts.URL+"/resume", nil)
	m := resumeLinkRE.FindStringSubmatch(mine.body)
	if mine.status != 200 || m == nil || !strings.Contains(mine.body, `<svg class="qr"`) {
		t.Fatalf("/resume: %d, link %v, QR %v", mine.status, m, strings.Contains(mine.body, "<svg"))
	}
	link := m[0]
	if p := do(t, laptop, "GET", ts.URL+"/progress", nil); !strings.Contains(p.body, `href="/resume"`) {
		t.Error("the progress page does not lead to the resume link")
	}

	phone := browser(t)
	ask := do(t, phone, "GET", link, nil)
	if ask.status != 200 || !strings.Contains(ask.body, "Continue as Ada Lovelace") {
		t.Fatalf("opening the link: %d", ask.status)
	}
	if r := do(t, phone, "GET", ts.URL+"/api/lab", nil); r.status != http.StatusUnauthorized {
		t.Errorf("merely opening the link signed the phone in: %d", r.status)
	}
	if r := do(t, phone, "POST", link, url.Values{}, "Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("a cross-site post to the resume link: %d, want 403", r.status)
	}
	if r := do(t, phone, "POST", link, url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("continue: %d %s", r.status, r.body)
	}
	if a, b := labOf(t, laptop, ts), labOf(t, phone, ts); a.Username != b.Username {
		t.Errorf("the phone is %q, the laptop %q: not the same learner", b.Username, a.Username)
	}

	// Someone else types the same name (in another case).
	r := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {"ada  LOVELACE"}, "next": {"/courses/hello"}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "Someone called Ada Lovelace has already joined") || !strings.Contains(r.body, "Is this you?") {
		t.Errorf("joining with a taken name: %d", r.status)
	}

	// The instructor shows the link, then reissues it.
	teacher := instructor(t, ts)
	id := labOf(t, laptop, ts).Username
	if r := do(t, teacher, "GET", ts.URL+"/teach/learners/"+id+"/resume-link", nil); !strings.Contains(r.body, link) {
		t.Errorf("the instructor's view lacks the current link %s", link)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/teach/learners/"+id+"/resume-link", nil); r.status != http.StatusUnauthorized {
		t.Errorf("a learner asked for someone's resume link: %d", r.status)
	}
	re := do(t, teacher, "POST", ts.URL+"/teach/learners/"+id+"/resume-link", url.Values{})
	n := resumeLinkRE.FindStringSubmatch(re.body)
	if re.status != 200 || n == nil || n[0] == link || !strings.Contains(re.body, "old one no longer works") {
		t.Fatalf("reissue: %d %v", re.status, n)
	}
	for _, method := range []string{"GET", "POST"} {
		old := do(t, browser(t), method, link, url.Values{})
		if old.status != http.StatusNotFound || !strings.Contains(old.body, "replaced by a newer one") {
			t.Errorf("%s old link: %d, want 404 saying it was replaced", method, old.status)
		}
	}
	if r := do(t, browser(t), "POST", n[0], url.Values{}); r.status != http.StatusSeeOther {
		t.Errorf("the new link: %d", r.status)
	}
}

// TestTheFirstPageAfterJoiningShowsTheResumeLinkOnce: joining lands on the
// page asked for, which shows the personal link and its QR code above the
// page; the next page does not, and the link stays under /resume.
func TestTheFirstPageAfterJoiningShowsTheResumeLinkOnce(t *testing.T) {
	ts := newTestServer(t, true)
	b := join(t, ts, "Ada Lovelace")
	first := do(t, b, "GET", ts.URL+"/courses/hello", nil)
	m := resumeLinkRE.FindStringSubmatch(first.body)
	if first.status != 200 || m == nil || !strings.Contains(first.body, `id="welcome-title"`) || !strings.Contains(first.body, `<svg class="qr"`) {
		t.Fatalf("first page after joining: %d, link %v", first.status, m)
	}
	if i, j := strings.Index(first.body, `id="welcome-title"`), strings.Index(first.body, `<main`); i > j {
		t.Error("the panel is not above the page")
	}
	if r := do(t, b, "GET", ts.URL+"/courses/hello", nil); strings.Contains(r.body, `id="welcome-title"`) {
		t.Error("the panel shows again on the next page")
	}
	if r := do(t, b, "GET", ts.URL+"/resume", nil); !strings.Contains(r.body, m[0]) {
		t.Errorf("/resume shows another link than the panel did (%s)", m[0])
	}
	// Someone who did not just join (another learner's browser, a
	// visitor with a stale welcome cookie but no session) sees no panel.
	other := join(t, ts, "Grace Hopper")
	do(t, other, "GET", ts.URL+"/courses/hello", nil)
	if r := do(t, other, "GET", ts.URL+"/courses/hello/first", nil); strings.Contains(r.body, "welcome-title") {
		t.Error("a learner who already saw the panel sees it on a section")
	}
	stranger := browser(t)
	u := mustURL(t, ts.URL)
	stranger.Jar.SetCookies(u, []*http.Cookie{{Name: welcomeCookie, Value: "1"}})
	if r := do(t, stranger, "GET", ts.URL+"/courses/hello", nil); r.status != http.StatusSeeOther {
		t.Errorf("a stranger with a welcome cookie: %d, want the join page", r.status)
	}
}
