package content

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// The example course of docs/AUTHORING.md must load without a problem, so
// that the documentation never teaches a mistake.
func TestAuthoringExampleCourseIsClean(t *testing.T) {
	doc, err := os.ReadFile("../docs/AUTHORING.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- example-course -->\n````markdown\n")
	if !ok {
		t.Fatal("docs/AUTHORING.md has no example course")
	}
	md, _, ok := strings.Cut(rest, "\n````\n")
	if !ok {
		t.Fatal("example course block not closed")
	}
	cat := Load(fstest.MapFS{"first-values/index.md": {Data: []byte(md + "\n")}}, Options{})
	if len(cat.Problems) != 0 {
		t.Errorf("example course has problems:\n%s", dumpProblems(cat.Problems))
	}
	c := cat.Course("first-values")
	if c == nil || len(c.Sections) != 2 || len(c.Exercises) != 2 || len(c.Quizzes) != 1 || !c.Sections[0].HasPlaceholders {
		t.Fatalf("example course = %+v", c)
	}
	if !strings.Contains(string(c.Sections[1].HTML), `href="/courses/first-values/listen"`) {
		t.Errorf("link to the first section not pointed at its page:\n%s", c.Sections[1].HTML)
	}
}
