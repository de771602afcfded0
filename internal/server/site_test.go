package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/courselab/courselab/content"
)

// startSite serves content/testdata/site, opened as --courses opens a folder.
func startSite(t *testing.T) (*testServer, *content.Catalog) {
	t.Helper()
	fsys, err := content.OpenDir("../../content/testdata/site")
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, fsys, false), content.Load(fsys, content.Options{})
}

var siteLinkRE = regexp.MustCompile(`(?:href|src)="(/[^"#?]*)`)

// Every page the fixture site's authors wrote is served, and every
// site-absolute link and image on those pages leads somewhere, but the one
// the site's lint names as broken.
func TestSiteServesEveryPageAndItsLinksResolve(t *testing.T) {
	ts, cat := startSite(t)
	pages := []string{"/", "/programs", "/resources", "/solutions"}
	for _, g := range cat.Categories {
		pages = append(pages, g.URL)
	}
	for _, c := range cat.Courses {
		pages = append(pages, "/courses/"+c.ID)
		for _, s := range c.Sections {
			pages = append(pages, "/courses/"+c.ID+"/"+s.Slug)
		}
	}
	for _, p := range cat.Programs {
		pages = append(pages, p.URL)
		for _, u := range p.Units {
			pages = append(pages, u.URL)
		}
		for _, e := range p.Events {
			pages = append(pages, e.URL)
		}
	}
	for _, p := range append(append([]*content.Page(nil), cat.Resources...), cat.Solutions...) {
		pages = append(pages, p.URL)
	}
	if len(pages) != 4+3+4+6+1+2+2+3 {
		t.Errorf("%d pages to visit: %q", len(pages), pages)
	}
	links := map[string]string{}
	for _, p := range pages {
		r := get(t, ts.URL+p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", p, r.status)
			continue
		}
		for _, m := range siteLinkRE.FindAllStringSubmatch(r.body, -1) {
			if !strings.HasPrefix(m[1], "/static/") {
				links[m[1]] = p
			}
		}
	}
	var sorted []string
	for l := range links {
		sorted = append(sorted, l)
	}
	sort.Strings(sorted)
	for _, l := range sorted {
		want := http.StatusOK
		if l == "/resources/nothing-here" || strings.Contains(l, "/quizzes/") || strings.HasPrefix(l, "/api/") {
			continue
		}
		if r := get(t, ts.URL+l); r.status != want {
			t.Errorf("GET %s (linked from %s): status %d", l, links[l], r.status)
		}
	}
	for _, must := range []string{"/resources/boards/wazidev/cover.png", "/solutions/smart-farm/media/field.png", "/welcome/img/welcome.png", "/categories/edge-computing"} {
		if _, ok := links[must]; !ok {
			t.Errorf("no page links %s", must)
		}
	}
	if r := get(t, ts.URL+"/courses/micropython/_index.md~"); r.status != http.StatusNotFound {
		t.Errorf("the editor backup: status %d, want 404", r.status)
	}
	// A category's intro is its own, never a course; its courses are listed.
	if r := get(t, ts.URL+"/categories/basics"); !strings.Contains(r.body, "<p>TODO</p>") || !strings.Contains(r.body, `href="/courses/getting-started"`) {
		t.Errorf("category page:\n%s", r.body)
	}
	if r := get(t, ts.URL+"/programs/iot-bootcamp"); !strings.Contains(r.body, `<time datetime="2024-05-07">7 May</time> – <time datetime="2024-05-09">9 May</time>`) {
		t.Errorf("program page without the second unit's schedule:\n%s", r.body)
	}
}

// Every quiz of the fixture site is graded on the server: its right answers
// are correct, and each wrong answer (and a right one missing) is not.
func TestEveryFixtureQuizGradesRightAndWrong(t *testing.T) {
	ts, cat := startSite(t)
	c := browser(t)
	quizzes := 0
	for _, co := range cat.Courses {
		for _, q := range co.Quizzes {
			quizzes++
			var right []string
			for _, a := range q.Answers {
				if a.Right {
					right = append(right, a.ID)
				}
			}
			grade := func(ids []string) bool {
				t.Helper()
				body, _ := json.Marshal(map[string]any{"answers": ids})
				r := postJSON(t, c, ts.URL+"/api/courses/"+co.ID+"/quizzes/"+q.ID+"/answer", string(body))
				var res quizAnswerResponse
				if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &res) != nil {
					t.Fatalf("%s/%s %v: %d %s", co.ID, q.ID, ids, r.status, r.body)
				}
				return res.Correct
			}
			if !grade(right) {
				t.Errorf("%s/%s: the right answers %v graded wrong", co.ID, q.ID, right)
			}
			for _, a := range q.Answers {
				if !a.Right && grade([]string{a.ID}) {
					t.Errorf("%s/%s: the wrong answer %s graded right", co.ID, q.ID, a.ID)
				}
			}
			if len(right) > 1 && grade(right[:1]) {
				t.Errorf("%s/%s: half of the right answers graded right", co.ID, q.ID)
			}
		}
	}
	if quizzes != 4 {
		t.Errorf("%d quizzes graded, want the fixture's 4", quizzes)
	}
}

// Search works as a plain form: every page carries the search box, and
// GET /search?q= answers with links to the pages found and their passage.
func TestSearchWorksWithoutJavaScriptFromEveryPage(t *testing.T) {
	ts, _ := startSite(t)
	for _, p := range []string{"/", "/categories/basics", "/programs/iot-bootcamp", "/resources/boards/wazidev", "/courses/micropython/quizzes"} {
		if r := get(t, ts.URL+p); !strings.Contains(r.body, `<form class="search-box" method="get" action="/search" role="search">`) {
			t.Errorf("%s has no search box", p)
		}
	}
	r := get(t, ts.URL+"/search?q=moisture+farm")
	if r.status != http.StatusOK || !strings.Contains(r.body, `<a href="/solutions/smart-farm">Smart farm</a>`) || !strings.Contains(r.body, "<mark>moisture</mark>") {
		t.Errorf("search page: %d\n%s", r.status, r.body)
	}
	r = get(t, ts.URL+"/search?q=%3Cscript%3Ezebra(1)%3C/script%3E")
	if strings.Contains(r.body, "<script>zebra") || !strings.Contains(r.body, "Nothing found") {
		t.Errorf("a hostile query:\n%s", r.body)
	}
	if r := get(t, ts.URL+"/search?q="+strings.Repeat("sensor+", 2000)); r.status != http.StatusOK {
		t.Errorf("a long query: %d", r.status)
	}
}
