package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestInstructorSessionsAreListedRevokedAndExpire: two instructors sign in,
// each a session of its own; one signs the other out, whose next request
// gets the sign-in page saying so; a session past its expiry is told it
// expired.
func TestInstructorSessionsAreListedRevokedAndExpire(t *testing.T) {
	ts := newTestServer(t, true)
	laptop, tablet := instructor(t, ts), instructor(t, ts)
	list := do(t, laptop, "GET", ts.URL+"/teach/sessions", nil)
	ids := regexp.MustCompile(`action="/teach/sessions/([0-9a-f]+)/revoke"`).FindAllStringSubmatch(list.body, -1)
	if list.status != 200 || len(ids) != 2 || !strings.Contains(list.body, "(this browser)") {
		t.Fatalf("sessions page: %d, %d sessions", list.status, len(ids))
	}
	// The laptop signs the tablet's session out (the one not "this browser").
	other := ids[0][1]
	if strings.Contains(list.body, "<code>"+other+"</code> (this browser)") {
		other = ids[1][1]
	}
	if r := do(t, laptop, "POST", ts.URL+"/teach/sessions/"+other+"/revoke", url.Values{}, "Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("cross-site revoke: %d, want 403", r.status)
	}
	if r := do(t, laptop, "POST", ts.URL+"/teach/sessions/"+other+"/revoke", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := do(t, tablet, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "signed out from the sessions page") {
		t.Errorf("revoked tablet: %d, want the sign-in page saying why", r.status)
	}
	if r := do(t, laptop, "GET", ts.URL+"/teach", nil); r.status != 200 {
		t.Errorf("the laptop lost its own session: %d", r.status)
	}
	if r := do(t, laptop, "POST", ts.URL+"/teach/sessions/"+other+"/revoke", url.Values{}); r.status != http.StatusNotFound || !strings.Contains(r.body, "signed out already") {
		t.Errorf("revoking twice: %d", r.status)
	}

	// A session past its expiry.
	is, err := ts.store.StartInstructorSession(context.Background(), "test", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	old := browser(t)
	old.Jar.SetCookies(mustURL(t, ts.URL), []*http.Cookie{{Name: instructorCookie, Value: ts.srv.instructor.Sign("session:" + is.ID)}})
	if r := do(t, old, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "has expired") {
		t.Errorf("expired session: %d, want the sign-in page saying it expired", r.status)
	}
}

// TestSeveralInstructorsEachSignInWithTheirOwnToken: the first instructor
// (--instructor-token) and Grace (a personal token) each get sessions
// named after them; each sees every session and may sign out one; once
// Grace is removed her token and her sessions stop working.
func TestSeveralInstructorsEachSignInWithTheirOwnToken(t *testing.T) {
	ts := newTestServer(t, true)
	ctx := context.Background()
	_, graceToken, err := ts.store.AddInstructor(ctx, "Grace")
	if err != nil {
		t.Fatal(err)
	}
	first := instructor(t, ts)
	grace := browser(t)
	if r := do(t, grace, "POST", ts.URL+"/teach/login", url.Values{"token": {graceToken}}); r.status != http.StatusSeeOther {
		t.Fatalf("Grace's sign-in: %d %s", r.status, r.body)
	}
	list := do(t, first, "GET", ts.URL+"/teach/sessions", nil)
	if !strings.Contains(list.body, "<td>Grace</td>") || !strings.Contains(list.body, "<td>first instructor</td>") {
		t.Fatalf("the sessions page does not name both instructors:\n%s", list.body)
	}
	if r := do(t, grace, "GET", ts.URL+"/teach", nil); r.status != 200 {
		t.Fatalf("Grace's /teach: %d", r.status)
	}
	if err := ts.store.RemoveInstructor(ctx, "Grace"); err != nil {
		t.Fatal(err)
	}
	if r := do(t, grace, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized {
		t.Errorf("removed Grace's session: %d, want the sign-in page", r.status)
	}
	if r := do(t, browser(t), "POST", ts.URL+"/teach/login", url.Values{"token": {graceToken}}); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "not an instructor token") {
		t.Errorf("removed Grace's token: %d", r.status)
	}
	if r := do(t, first, "GET", ts.URL+"/teach", nil); r.status != 200 {
		t.Errorf("the first instructor lost their session with Grace's: %d", r.status)
	}
}
