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
