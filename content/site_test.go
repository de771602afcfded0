package content

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/site is a whole learning-center site in our own words with every
// shape of such trees: a welcome text at the root and in courses/, categories
// whose _index.md has a body ("TODO", an introduction), order prefixes and
// spaces in folder names, draft. folders at any depth, front matter aliases
// (name, desc), a course in _index.md, quizzes indented by tabs and spaces,
// shortcodes, figures, alert severity, video start and end, links between
// pages (relative and site-absolute), programs with units and events,
// resources and solutions with cover images, and an editor backup.
func loadSite(t *testing.T) *Catalog {
	t.Helper()
	fsys, err := OpenDir("testdata/site")
	if err != nil {
		t.Fatal(err)
	}
	return Load(fsys, Options{})
}

func TestSiteLoadsEveryPageAuthorsWrote(t *testing.T) {
	cat := loadSite(t)
	if got, want := cat.Summary().String(), "4 courses in 3 categories, 1 program (2 units, 2 events), 2 resources, 1 solution, 6 pages, 4 quizzes, 0 exercises"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	// Only the real defects, none of the shapes.
	wantProblems := []string{
		"courses/4.EdgeComputing/4.Introduction to Micropython/_index.md:23: warning: <youtube>ozqQEhM5IPo&t=90</youtube> is the rest of a copied URL",
		`courses/4.EdgeComputing/4.Introduction to Micropython/_index.md:27: warning: the link "/resources/nothing-here" names no page this site serves`,
		"courses/4.EdgeComputing/4.Introduction to Micropython/_index.md:42: warning: the shortcode {{< tweet >}} belongs to the Hugo site",
		"courses/4.EdgeComputing/4.Introduction to Micropython/_index.md:47: warning: this link has no address",
		"courses/4.EdgeComputing/4.Introduction to Micropython/_index.md~: warning: is an editor backup",
	}
	SortProblems(cat.Problems)
	if len(cat.Problems) != len(wantProblems) {
		t.Errorf("problems:\n%s", dumpProblems(cat.Problems))
	}
	for i, w := range wantProblems {
		if i < len(cat.Problems) && !strings.HasPrefix(cat.Problems[i].String(), w) {
			t.Errorf("problem %d = %q, want %q…", i, cat.Problems[i], w)
		}
	}

	var cats []string
	for _, g := range cat.Categories {
		cats = append(cats, fmt.Sprintf("%s %s %q icon=%s intro=%v", g.URL, strings.Join(g.Path, ">"), g.Description, g.Icon, g.Intro != ""))
	}
	wantCats := []string{
		`/categories/basics Basics "Where everybody starts." icon=school intro=true`,
		`/categories/edge-computing Edge Computing "Computing close to the sensors." icon=memory intro=true`,
		`/categories/edge-computing/ai Edge Computing>Artificial intelligence "" icon= intro=true`,
	}
	if !reflect.DeepEqual(cats, wantCats) {
		t.Errorf("categories:\n%s\nwant\n%s", strings.Join(cats, "\n"), strings.Join(wantCats, "\n"))
	}
	var ids []string
	for _, c := range cat.Courses {
		ids = append(ids, c.ID+"="+c.Title)
	}
	wantIDs := []string{"getting-started=Getting started with a blinking lamp", "machinelearning=Machine learning at the edge",
		"micropython=Introduction to Micropython", "vision=Seeing with a camera"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("courses = %q, want %q", ids, wantIDs)
	}
	if c := cat.Course("getting-started"); c.Description != "Your first circuit, one lamp." || c.Meta["author"] != "A. Tinkerer" {
		t.Errorf("aliases or unknown keys lost: %+v", c)
	}
	if len(cat.Welcome) != 2 || cat.Welcome[0].Title != "The Tinkerers' Learning Center" || !strings.Contains(string(cat.Welcome[1].HTML), "Introduction to the section") {
		t.Errorf("welcome texts = %+v", cat.Welcome)
	}

	prog := cat.Programs[0]
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	if prog.URL != "/programs/iot-bootcamp" || prog.Title != "IoT bootcamp" || !prog.From.Equal(day("2024-05-06")) || !prog.To.Equal(day("2024-05-17")) {
		t.Errorf("program = %+v", prog.Page)
	}
	var units []string
	for _, u := range prog.Units {
		units = append(units, fmt.Sprintf("%d %s %s %s..%s", u.Number, u.Title, u.URL, u.Start.Format(time.DateOnly), u.End.Format(time.DateOnly)))
	}
	wantUnits := []string{"1 Sensors /programs/iot-bootcamp/units/sensors 2024-05-06..2024-05-07", "2 Networks /programs/iot-bootcamp/units/networks 2024-05-07..2024-05-09"}
	if !reflect.DeepEqual(units, wantUnits) {
		t.Errorf("units = %q, want %q", units, wantUnits)
	}
	if len(prog.Events) != 2 || prog.Events[0].Title != "Kick-off" || !prog.Events[1].Start.Equal(day("2024-05-17")) {
		t.Errorf("events = %+v", prog.Events)
	}

	var lib []string
	for _, p := range append(append([]*Page(nil), cat.Resources...), cat.Solutions...) {
		lib = append(lib, fmt.Sprintf("%s %s %s [%s]", p.Kind, p.URL, p.Cover, strings.Join(p.Path, ">")))
	}
	wantLib := []string{
		"resource /resources/boards/wazidev /resources/boards/wazidev/cover.png [Boards]",
		"resource /resources/waziup/oled-display /resources/waziup/oled-display/icon.png [waziup]",
		"solution /solutions/smart-farm /solutions/smart-farm/cover.png []",
	}
	if !reflect.DeepEqual(lib, wantLib) {
		t.Errorf("libraries:\n%s\nwant\n%s", strings.Join(lib, "\n"), strings.Join(wantLib, "\n"))
	}
	if p, file := cat.PageAt("/resources/waziup/oled-display/icon.png"); p == nil || p.Title != "OLED display" || file != "icon.png" {
		t.Errorf("PageAt(icon) = %v, %q", p, file)
	}

	// Links between pages go to the served page.
	for _, l := range []struct{ html, want string }{
		{string(cat.Course("getting-started").Sections[1].HTML), `href="/courses/micropython"`},
		{string(cat.Course("getting-started").Sections[1].HTML), `href="/categories/edge-computing"`},
		{string(cat.Course("micropython").Sections[0].HTML), `href="/resources/waziup/oled-display"`},
		{string(cat.Course("micropython").Sections[0].HTML), `href="/resources/boards/wazidev"`},
		{string(cat.Course("micropython").Sections[1].HTML), `href="/courses/machinelearning"`},
		{string(cat.Resources[0].HTML), `href="/resources/waziup/oled-display"`},
		{string(cat.Solutions[0].HTML), `src="/solutions/smart-farm/media/field.png"`},
		{string(cat.Welcome[0].HTML), `src="/welcome/img/welcome.png"`},
		{string(prog.HTML), `href="/categories/basics"`},
		{string(prog.HTML), `href="/solutions/smart-farm"`},
	} {
		if !strings.Contains(l.html, l.want) {
			t.Errorf("%s missing in:\n%s", l.want, l.html)
		}
	}
	if cat.Course("later") != nil || cat.Course("gone") != nil {
		t.Error("a draft is published")
	}
}

// The golden file holds every page of the site as it is rendered: the welcome
// texts, category introductions, course sections, program, units, events,
// resources and solutions.
func TestSiteRendersAsGolden(t *testing.T) {
	cat := loadSite(t)
	var b strings.Builder
	page := func(what string, html string) {
		fmt.Fprintf(&b, "<!-- %s -->\n%s", what, html)
		if !strings.HasSuffix(html, "\n") {
			b.WriteByte('\n')
		}
	}
	for _, w := range cat.Welcome {
		page("welcome "+w.URL, string(w.HTML))
	}
	for _, g := range cat.Categories {
		page("category "+g.URL, string(g.Intro))
	}
	for _, c := range cat.Courses {
		for _, s := range c.Sections {
			page("course "+c.ID+"/"+s.Slug, string(s.HTML))
		}
	}
	for _, p := range cat.Programs {
		page("program "+p.URL, string(p.HTML))
		for _, u := range p.Units {
			page("unit "+u.URL, string(u.HTML))
		}
		for _, e := range p.Events {
			page("event "+e.URL, string(e.HTML))
		}
	}
	for _, p := range append(append([]*Page(nil), cat.Resources...), cat.Solutions...) {
		page(string(p.Kind)+" "+p.URL, string(p.HTML))
	}
	const golden = "testdata/site.golden.html"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("the site renders differently from %s (run go test ./content -update and review the diff):\n%s", golden, b.String())
	}
}
