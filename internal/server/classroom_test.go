package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see where the server sends a person.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func join(t *testing.T, ts *testServer, name string) *http.Client {
	t.Helper()
	b := browser(t)
	r := do(t, b, "POST", ts.URL+"/join", url.Values{"name": {name}, "next": {"/courses/hello"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/courses/hello" {
		t.Fatalf("join %s: %d %s", name, r.status, r.header.Get("Location"))
	}
	return b
}

func labOf(t *testing.T, b *http.Client, ts *testServer) labDetails {
	t.Helper()
	r := do(t, b, "GET", ts.URL+"/api/lab", nil)
	var d labDetails
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &d) != nil {
		t.Fatalf("GET /api/lab: %d %s", r.status, r.body)
	}
	return d
}

func TestClassroomVisitorsJoinWithANameAndGetTheirOwnLab(t *testing.T) {
	ts := newTestServer(t, true)
	anon := browser(t)
	r := do(t, anon, "GET", ts.URL+"/courses/hello/first", nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/join?next=%2Fcourses%2Fhello%2Ffirst" {
		t.Fatalf("unjoined visitor: %d → %q, want the join page", r.status, r.header.Get("Location"))
	}
	if r := do(t, anon, "GET", ts.URL+"/join", nil); r.status != 200 || !strings.Contains(r.body, `name="name"`) {
		t.Fatalf("join page: %d", r.status)
	}
	if r := do(t, anon, "POST", ts.URL+"/join", url.Values{"name": {"   "}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Enter your name") {
		t.Errorf("empty name: %d, want 400 with a message", r.status)
	}
	if r := do(t, anon, "GET", ts.URL+"/api/lab", nil); r.status != http.StatusUnauthorized || !strings.Contains(r.body, `"error"`) {
		t.Errorf("/api/lab without joining: %d %s", r.status, r.body)
	}

	ada, bob := join(t, ts, "Ada Lovelace"), join(t, ts, "Bob")
	var cookie *http.Cookie
	for _, c := range ada.Jar.Cookies(mustURL(t, ts.URL)) {
		if c.Name == learnerCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no learner cookie after joining")
	}
	raw := do(t, browser(t), "POST", ts.URL+"/join", url.Values{"name": {"Eve"}})
	sc := raw.header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("learner cookie lacks %s: %s", want, sc)
		}
	}

	la, lb := labOf(t, ada, ts), labOf(t, bob, ts)
	if !strings.HasPrefix(la.Username, "ada-lovelace-") || la.Password == "" || la.Token == "" {
		t.Errorf("Ada's lab credentials: %+v", la)
	}
	if la.Username == lb.Username || la.Password == lb.Password || la.Token == lb.Token {
		t.Errorf("two learners share credentials: %+v %+v", la, lb)
	}
	host := strings.TrimPrefix(ts.URL, "http://")
	_, mqttPort, _ := strings.Cut(ts.mqtt, ":")
	if la.WSURL != "ws://"+host+"/mqtt?learner="+la.Username || la.APIBase != "http://"+host+"/api/v2" || la.MQTTURL != "mqtt://127.0.0.1:"+mqttPort {
		t.Errorf("URLs not built from the host used: %+v", la)
	}
	if r := do(t, ada, "GET", ts.URL+"/courses/hello/first", nil); r.status != 200 {
		t.Errorf("joined learner reading: %d", r.status)
	}

	// The REST API: a token is required, and it picks the learner's sandbox.
	if r := do(t, browser(t), "GET", ts.URL+"/api/v2/devices", nil); r.status != http.StatusUnauthorized {
		t.Errorf("cloud API without token: %d", r.status)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/api/v2/devices", nil, "Authorization", "Bearer nope"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "token") {
		t.Errorf("cloud API with a wrong token: %d %s", r.status, r.body)
	}
	r = do(t, browser(t), "POST", ts.URL+"/api/v2/devices/ESPDEVICE/sensors/TC/value", nil, "Authorization", "Bearer "+la.Token, "Content-Type", "application/json")
	if r.status == http.StatusUnauthorized {
		t.Errorf("cloud API with Ada's token refused: %s", r.body)
	}
	if sa := ts.labs.Lookup(la.Username); sa == nil {
		t.Error("Ada's sandbox was not created by her lab page")
	}
}

func TestPersonalModeNeedsNoLoginAndGivesLocalURLs(t *testing.T) {
	ts := newTestServer(t, false)
	b := browser(t)
	if r := do(t, b, "GET", ts.URL+"/join", nil); r.status != http.StatusSeeOther {
		t.Errorf("/join in personal mode: %d, want a redirect home", r.status)
	}
	d := labOf(t, b, ts)
	if d.Username != "" || d.Password != "" || d.Token != "" {
		t.Errorf("personal mode hands out credentials: %+v", d)
	}
	if r := do(t, b, "GET", ts.URL+"/api/v2/devices/ESPDEVICE", nil); r.status != 200 || !strings.Contains(r.body, "TC") {
		t.Errorf("cloud API in personal mode: %d %s", r.status, r.body)
	}
}

func TestTeachRefusesAnyoneWithoutTheInstructorToken(t *testing.T) {
	ts := newTestServer(t, true)
	join(t, ts, "Grace Hopper")
	b := browser(t)
	if r := do(t, b, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized || strings.Contains(r.body, "Grace") {
		t.Fatalf("/teach without token: %d", r.status)
	}
	if r := do(t, b, "POST", ts.URL+"/teach/login", url.Values{"token": {"guess"}}); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "not an instructor token") {
		t.Errorf("wrong token: %d", r.status)
	}
	// A learner's cookie is not an instructor's.
	learner := join(t, ts, "Mallory")
	if r := do(t, learner, "GET", ts.URL+"/teach", nil); r.status != http.StatusUnauthorized {
		t.Errorf("learner on /teach: %d", r.status)
	}
	if r := do(t, b, "POST", ts.URL+"/teach/login", url.Values{"token": {testInstructorToken}}); r.status != http.StatusSeeOther {
		t.Fatalf("right token: %d", r.status)
	}
	r := do(t, b, "GET", ts.URL+"/teach", nil)
	if r.status != 200 || !strings.Contains(r.body, "Grace Hopper") || !strings.Contains(r.body, "grace-hopper-") {
		t.Errorf("dashboard: %d, want the class with Grace in it", r.status)
	}
	// The token in the URL also works, and is dropped from the address.
	r = do(t, browser(t), "GET", ts.URL+"/teach?token="+testInstructorToken, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/teach" {
		t.Errorf("?token=: %d %q", r.status, r.header.Get("Location"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestWritesFromAnotherSiteAreRefused(t *testing.T) {
	ts := startServer(t, quizFixture(), false)
	c := browser(t)
	answer := ts.URL + "/api/courses/quizzy/quizzes/qos/answer"
	body := url.Values{"answer": {"a2"}}
	cases := []struct {
		header []string
		status int
	}{
		{nil, 200}, // curl and other tools
		{[]string{"Origin", ts.URL}, 200},
		{[]string{"Sec-Fetch-Site", "same-origin"}, 200},
		{[]string{"Origin", "http://evil.example"}, 403},
		{[]string{"Sec-Fetch-Site", "cross-site"}, 403},
		{[]string{"Sec-Fetch-Site", "same-site"}, 403},
		{[]string{"Origin", "null"}, 403}, // a sandboxed frame of any site sends it
	}
	for _, tc := range cases {
		if r := do(t, c, "POST", answer, body, tc.header...); r.status != tc.status {
			t.Errorf("POST with %v: %d, want %d (%s)", tc.header, r.status, tc.status, r.body)
		}
	}
	// The simulated cloud stays open to learners' own apps on other origins.
	r := do(t, c, "POST", ts.URL+"/api/v2/devices/ESPDEVICE/sensors/TC/value", nil, "Origin", "http://localhost:5173", "Content-Type", "application/json")
	if r.status == http.StatusForbidden {
		t.Errorf("cloud API refused a learner's app on another origin")
	}
}
