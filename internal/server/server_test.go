package server

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// fixture is a small course tree: one course in a category, one outside,
// one with broken front matter that must not take the others down.
func fixture() fstest.MapFS {
	return fstest.MapFS{
		"1.Basics/_index.md": {Data: []byte("---\ntitle: Basics\ndescription: Where to start\n---\n")},
		"1.Basics/1.Hello/index.md": {Data: []byte("---\nid: hello\ntitle: Hello course\ndescription: Say hello.\ndifficulty: beginner\nduration: 10m\n---\n" +
			"# First\n\nSome *text*.\n\n![pic](img/pic.svg)\n\nSecond\n======\n\n```js\nconst x = 1;\n```\n\n# Third\n\nThe end.\n")},
		"1.Basics/1.Hello/img/pic.svg":   {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`)},
		"1.Basics/1.Hello/img/photo.png": {Data: []byte("\x89PNG\r\n\x1a\nfake")},
		"loose/index.md":                 {Data: []byte("---\nid: loose\ntitle: Loose course\n---\n# Only\n\nText.\n")},
		"broken/index.md":                {Data: []byte("---\nid: [unclosed\ntitle: Broken\n---\n# X\n")},
	}
}

func newTestServer(t *testing.T, classroom bool) *testServer {
	t.Helper()
	return startServer(t, fixture(), classroom)
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string) response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestPagesShowCatalogCourseAndSections(t *testing.T) {
	ts := newTestServer(t, false)
	cases := []struct {
		path     string
		contains []string
	}{
		{"/", []string{"Hello course", "Say hello.", "beginner", "10m", "Basics", "Loose course", `href="/courses/hello"`}},
		{"/courses/hello", []string{"Hello course", "First", "Second", "Third", `href="/courses/hello/first"`, "Start the course"}},
		{"/courses/hello/first", []string{"<h1", "First", `rel="next" href="/courses/hello/second"`, `aria-current="page"`, `src="/courses/hello/img/pic.svg"`}},
		{"/courses/hello/second", []string{`rel="prev" href="/courses/hello/first"`, `rel="next" href="/courses/hello/third"`, `class="chroma"`}},
		{"/courses/hello/third", []string{"Back to the course overview"}},
	}
	for _, c := range cases {
		r := get(t, ts.URL+c.path)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", c.path, r.status)
			continue
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: content type %q", c.path, ct)
		}
		if r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", c.path)
		}
		for _, want := range c.contains {
			if !strings.Contains(r.body, want) {
				t.Errorf("GET %s: page lacks %q", c.path, want)
			}
		}
	}
}

func TestEveryLinkedStaticFileIsServedAndCachedByVersion(t *testing.T) {
	ts := newTestServer(t, false)
	page := get(t, ts.URL+"/courses/hello/first").body
	links := regexp.MustCompile(`"(/static/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if len(links) < 3 {
		t.Fatalf("want the stylesheet, code stylesheet and script linked, found %v", links)
	}
	for _, l := range links {
		r := get(t, ts.URL+l[1]+"?v="+l[2])
		if r.status != http.StatusOK || r.body == "" {
			t.Errorf("GET %s: status %d", l[1], r.status)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s with its version: Cache-Control %q, want immutable", l[1], cc)
		}
		stale := get(t, ts.URL+l[1]+"?v=old")
		if cc := stale.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s with an old version: Cache-Control %q, want no-cache", l[1], cc)
		}
	}
	css := get(t, ts.URL+"/static/app.css")
	if ct := css.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("app.css content type %q", ct)
	}
}

func TestCourseFilesHaveContentTypesAndNeverLeaveTheCourse(t *testing.T) {
	ts := newTestServer(t, false)
	ok := []struct{ path, ctype string }{
		{"/courses/hello/img/pic.svg", "image/svg+xml"},
		{"/courses/hello/img/photo.png", "image/png"},
		{"/courses/hello/./img/pic.svg", "image/svg+xml"},
	}
	for _, c := range ok {
		r := get(t, ts.URL+c.path)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != c.ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", c.path, r.status, r.header.Get("Content-Type"), c.ctype)
		}
	}
	refused := []string{
		"/courses/hello/index.md",          // holds the quizzes' answers
		"/courses/hello/../loose/index.md", // cleaned by the client, still .md
		"/courses/hello/img/..%2f..%2fbroken%2findex.md",
		"/courses/hello/%2e%2e/%2e%2e/etc/passwd",
		"/courses/hello/img/../../../etc/passwd",
		"/courses/hello//etc/passwd",
		"/courses/hello/img",
		"/courses/hello/img/missing.png",
		"/courses/hello/.hidden",
		"/courses/hello/img\\..\\..\\x",
	}
	for _, p := range refused {
		r := get(t, ts.URL+p)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.status)
		}
		if strings.Contains(r.body, "root:") {
			t.Errorf("GET %s leaked a file outside the course", p)
		}
	}
}

func TestUnknownPagesGetTheHTMLNotFoundPageAndAPIGetsJSON(t *testing.T) {
	ts := newTestServer(t, false)
	for _, p := range []string{"/nope", "/courses/nope", "/courses/hello/nope", "/courses/broken"} {
		r := get(t, ts.URL+p)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.status)
		}
		if !strings.Contains(r.body, "Page not found") || !strings.Contains(r.body, "Go to the courses") {
			t.Errorf("GET %s: not the HTML 404 page:\n%s", p, r.body)
		}
	}
	r := get(t, ts.URL+"/api/nothing")
	var body map[string]string
	if r.status != http.StatusNotFound || json.Unmarshal([]byte(r.body), &body) != nil || body["error"] == "" {
		t.Errorf("GET /api/nothing: %d %s, want a 404 JSON error", r.status, r.body)
	}
}

func TestHealthzAnswersOK(t *testing.T) {
	ts := newTestServer(t, false)
	r := get(t, ts.URL+"/healthz")
	if r.status != http.StatusOK || !strings.Contains(r.body, `"ok"`) {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
}
