package server

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/courselab/courselab/internal/config"
)

func classroomWith(t *testing.T, configure func(*config.Config)) *testServer {
	t.Helper()
	return startServerWith(t, fixture(), true, t.TempDir(), configure)
}

func TestAFullClassIsRefusedAtTheJoinWithWhomToAsk(t *testing.T) {
	ts := classroomWith(t, func(c *config.Config) { c.MaxLearners = 2 })
	join(t, ts, "Ada")
	join(t, ts, "Grace")
	late := browser(t)
	r := do(t, late, "POST", ts.URL+"/join", url.Values{"name": {"Linus"}, "next": {"/courses/hello"}})
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "The class is full") || !strings.Contains(r.body, "instructor") {
		t.Fatalf("third join into a class of 2: %d, want 403 saying the class is full and to ask the instructor\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, `name="name"`) {
		t.Error("the full-class page still offers the join form")
	}
	u, _ := url.Parse(ts.URL)
	for _, ck := range late.Jar.Cookies(u) {
		if ck.Name == learnerCookie {
			t.Fatal("a refused learner got a session cookie")
		}
	}
	all, err := ts.store.Learners(context.Background())
	if err != nil || len(all) != 2 {
		t.Fatalf("learners stored: %d (%v), want 2", len(all), err)
	}
	if r := do(t, late, "GET", ts.URL+"/api/lab", nil); r.status != http.StatusUnauthorized {
		t.Errorf("refused learner's /api/lab: %d, want 401 (no credentials handed out)", r.status)
	}
}

func TestJoinsAreLimitedPerAddressAndForgedForwardedForDoesNotHelp(t *testing.T) {
	ts := classroomWith(t, func(c *config.Config) { c.JoinsPerMinute = 3 })
	for i := range 3 {
		join(t, ts, "Learner "+string(rune('A'+i)))
	}
	r := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {"Script"}}, "X-Forwarded-For", "203.0.113.9")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Wait") || r.header.Get("Retry-After") == "" {
		t.Fatalf("4th join from one address (forged X-Forwarded-For): %d, want 429 saying how long to wait\n%s", r.status, r.body)
	}
}

func TestForwardedForIsBelievedFromATrustedProxyOnly(t *testing.T) {
	ts := classroomWith(t, func(c *config.Config) {
		c.JoinsPerMinute = 1
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	for _, learner := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		r := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {"Behind proxy " + learner}}, "X-Forwarded-For", learner)
		if r.status != http.StatusSeeOther {
			t.Fatalf("join of %s through the trusted proxy: %d, want 303 (each learner has their own limit)", learner, r.status)
		}
	}
	r := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {"Again"}}, "X-Forwarded-For", "198.51.100.1")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second join of 198.51.100.1: %d, want 429", r.status)
	}
}

func TestNamesAreTrimmedAndMustBeValidText(t *testing.T) {
	ts := classroomWith(t, nil)
	for _, bad := range []string{"Ad\xffa", "\xc3\x28", strings.Repeat("é", 61), "Ada\u0000"} {
		r := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {bad}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "field-error") {
			t.Errorf("name %q: %d, want 400 with a message", bad, r.status)
		}
	}
	join(t, ts, "  Ada \t  Lovelace  ")
	all, err := ts.store.Learners(context.Background())
	if err != nil || len(all) != 1 || all[0].Name != "Ada Lovelace" {
		t.Fatalf("stored %+v (%v), want one learner named %q", all, err, "Ada Lovelace")
	}
}
