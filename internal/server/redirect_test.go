package server

import (
	"net/http"
	"net/url"
	"testing"
)

func TestLocalRedirectKeepsPathsAndRefusesEverythingElse(t *testing.T) {
	for next, want := range map[string]string{
		"":                             "/",
		"/":                            "/",
		"/courses/mqtt-apis/2?x=1#top": "/courses/mqtt-apis/2?x=1#top",
		"//evil.example":               "/",
		"/\\evil.example":              "/",
		"/\t/evil.example":             "/",
		"/\n/evil.example":             "/",
		"/\r//evil.example":            "/",
		"\t//evil.example":             "/",
		"https://evil.example/":        "/",
		"javascript:alert(1)":          "/",
		"evil.example":                 "/",
		"/%09/evil.example":            "/%09/evil.example", // still encoded: a path on this site
		"/courses/a\x7f":               "/",
		"/ok/with space and ünïcode":   "/ok/with space and ünïcode",
	} {
		if got := localRedirect(next); got != want {
			t.Errorf("localRedirect(%q) = %q, want %q", next, got, want)
		}
	}
}

// The attack as a browser sends it: ?next= decoded by the server holds a
// tab, which browsers drop when they follow the Location.
func TestJoinNextWithATabDoesNotRedirectOffSite(t *testing.T) {
	ts := newTestServer(t, true)
	client := join(t, ts, "Ada")
	for _, raw := range []string{"/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example", "%2F%2Fevil.example"} {
		resp, err := client.Get(ts.URL + "/join?next=" + raw)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("GET /join?next=%s: %d to %q, want 303 to /", raw, resp.StatusCode, loc)
		}
		if u, err := url.Parse(loc); err != nil || u.Host != "" {
			t.Errorf("Location %q leaves the site", loc)
		}
	}
}
