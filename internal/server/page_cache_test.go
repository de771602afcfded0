package server

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// labbyCourse has a section that shows the reader's own lab details.
const labbyCourse = "---\nid: labby\ntitle: Labby\n---\n# Connect\n\n" +
	"Your password is `[[lab.password]]`; connect to `[[lab.ws_url]]`.\n\n# After\n\nDone.\n"

func labFixture() fstest.MapFS {
	return fstest.MapFS{"labby/index.md": {Data: []byte(labbyCourse)}}
}

// TestCachedLabPagesShowOnlyTheReadersOwnDetails: a section with lab
// placeholders is cached per learner and per host; learners reading it at
// the same time, over and over, each see only their own password, and the
// URLs follow the host each request used.
func TestCachedLabPagesShowOnlyTheReadersOwnDetails(t *testing.T) {
	ts := startServer(t, labFixture(), true)
	names := []string{"Ada", "Bob", "Cy"}
	clients := make([]*http.Client, len(names))
	pass := make([]string, len(names))
	for i, n := range names {
		clients[i] = join(t, ts, n)
		pass[i] = labOf(t, clients[i], ts).Password
	}
	page := ts.URL + "/courses/labby/connect"
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				r := do(t, clients[i], "GET", page, nil)
				if r.status != http.StatusOK || !strings.Contains(r.body, pass[i]) {
					errs <- names[i] + " does not see their own password"
					return
				}
				for j := range names {
					if j != i && strings.Contains(r.body, pass[j]) {
						errs <- names[i] + " sees " + names[j] + "'s password"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// The same learner by another name of the server: the page is not the
	// one cached for the first host.
	req, _ := http.NewRequest("GET", page, nil)
	req.Host = "class.example:8080"
	for _, c := range clients[0].Jar.Cookies(mustURL(t, ts.URL)) {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "ws://class.example:8080/mqtt") || !strings.Contains(string(body), pass[0]) {
		t.Errorf("the page asked for by another host name does not show that host's URL with Ada's password: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if r := do(t, clients[0], "GET", page, nil); strings.Contains(r.body, "class.example") {
		t.Error("the page for the first host shows the second host's URL")
	}
}

// TestACachedPageShowsAProgressChangeOnTheNextView: the read mark of a
// cached lab page changes with the learner's progress, for that learner only.
func TestACachedPageShowsAProgressChangeOnTheNextView(t *testing.T) {
	ts := startServer(t, labFixture(), true)
	ada, bob := join(t, ts, "Ada"), join(t, ts, "Bob")
	page := ts.URL + "/courses/labby/connect"
	for _, c := range []*http.Client{ada, bob} {
		if m := sidebarMark(t, do(t, c, "GET", page, nil).body, "connect"); m != "" {
			t.Fatalf("unread section marked %q", m)
		}
	}
	if r := postJSON(t, ada, ts.URL+"/api/courses/labby/sections/connect/read", `{}`); r.status != http.StatusOK {
		t.Fatalf("read report: %d %s", r.status, r.body)
	}
	if m := sidebarMark(t, do(t, ada, "GET", page, nil).body, "connect"); m != "✓" {
		t.Errorf("Ada's next view marks the section %q, want ✓", m)
	}
	if m := sidebarMark(t, do(t, bob, "GET", page, nil).body, "connect"); m != "" {
		t.Errorf("Bob's view shows Ada's read mark %q", m)
	}
}

// TestAForgedCookieIsRefusedAfterTheRealOneWasSeen: verified cookies are
// remembered, so the memo must never let a cookie with the same learner id
// and another signature through.
func TestAForgedCookieIsRefusedAfterTheRealOneWasSeen(t *testing.T) {
	ts := startServer(t, labFixture(), true)
	ada := join(t, ts, "Ada")
	page := ts.URL + "/courses/labby/connect"
	if r := do(t, ada, "GET", page, nil); r.status != http.StatusOK {
		t.Fatalf("Ada reading: %d", r.status)
	}
	var real string
	for _, c := range ada.Jar.Cookies(mustURL(t, ts.URL)) {
		if c.Name == learnerCookie {
			real = c.Value
		}
	}
	id, sig, _ := strings.Cut(real, ".")
	forged := []string{
		id + "." + strings.Repeat("A", len(sig)),
		id + "." + sig[:len(sig)-1],
		id,
		id + "." + sig + "x",
	}
	for _, f := range forged {
		r := do(t, browser(t), "GET", page, nil, "Cookie", learnerCookie+"="+f)
		if r.status != http.StatusSeeOther {
			t.Errorf("forged cookie %q: %d, want the redirect to the join page", f, r.status)
		}
	}
	if r := do(t, browser(t), "GET", page, nil, "Cookie", learnerCookie+"="+real); r.status != http.StatusOK {
		t.Errorf("the real cookie on another client: %d", r.status)
	}
}
