package content

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// testdata/tree is a course tree in the style of existing IoT course content:
// categories with _index.md, order prefixes, draft. folders, a course using
// _index.md as its index, Setext headings, unknown front matter keys, and no
// exercises anywhere.
func TestExistingCourseTreeLoadsAsIs(t *testing.T) {
	cat := Load(os.DirFS("testdata/tree"), Options{})
	if len(cat.Problems) != 0 {
		t.Errorf("problems:\n%s", dumpProblems(cat.Problems))
	}
	type group struct {
		path, title, short, desc string
		weight                   int
		courses                  []string
	}
	var got []group
	for _, g := range cat.Groups {
		var ids []string
		for _, c := range g.Courses {
			ids = append(ids, c.ID)
		}
		got = append(got, group{strings.Join(g.Path, " > "), g.Title, g.ShortTitle, g.Description, g.Weight, ids})
	}
	want := []group{
		{"", "", "", "", 0, []string{"welcome"}},
		{"Edge Computing", "Edge Computing", "Edge", "Computing close to the sensors.", 1, []string{"lora", "mqtt"}},
		{"Networking", "Networking", "Net", "How things talk.", 2, []string{"http-basics"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n got %+v\nwant %+v", got, want)
	}

	mqtt := cat.Course("mqtt")
	if mqtt == nil {
		t.Fatal("course with _index.md not loaded")
	}
	if mqtt.File != "4.EdgeComputing/3.MQTT/_index.md" || mqtt.Title != "MQTT basics" || mqtt.Difficulty != "beginner" || mqtt.Duration != "1h" {
		t.Errorf("mqtt = %+v", mqtt)
	}
	if mqtt.Meta["author"] != "A. Teacher" || !reflect.DeepEqual(mqtt.Meta["tags"], []any{"mqtt", "iot"}) {
		t.Errorf("unknown front matter keys not kept: %#v", mqtt.Meta)
	}
	var titles []string
	for _, s := range mqtt.Sections {
		titles = append(titles, fmt.Sprintf("%s@%d", s.Slug, s.Line))
	}
	if !reflect.DeepEqual(titles, []string{"introduction@10", "topics@17"}) {
		t.Errorf("Setext sections = %v", titles)
	}
	if h := mqtt.Sections[1].Headings; len(h) != 1 || h[0].ID != "wildcards" {
		t.Errorf("Setext level-2 heading = %+v", h)
	}
	if !strings.Contains(string(mqtt.Sections[0].HTML), `src="/courses/mqtt/img/broker.png"`) {
		t.Errorf("image not rewritten:\n%s", mqtt.Sections[0].HTML)
	}
	if len(mqtt.Exercises) != 0 || len(mqtt.Quizzes) != 0 {
		t.Errorf("course without exercises has %d exercises", len(mqtt.Exercises))
	}
	if w := cat.Course("welcome"); w == nil || len(w.Sections) != 1 || !strings.Contains(string(w.Sections[0].HTML), "Text before the first heading.") {
		t.Errorf("text before the first heading lost")
	}
	// "2.draft.notreally": draft. after an order prefix unpublishes too.
	for _, id := range []string{"future", "wip", "not-yet", "draft-notreally", "notreally"} {
		if cat.Course(id) != nil {
			t.Errorf("draft %s published", id)
		}
	}
}
