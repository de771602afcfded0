package content

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/tools/txtar"
)

// unsafeRE finds what must never reach a page from course text: a script
// element, an event handler attribute, a javascript: URL, an iframe other
// than the YouTube player.
var unsafeRE = regexp.MustCompile(`(?i)<script|<[a-z][^>]*\son[a-z]+\s*=|(?:href|src)\s*=\s*["']?\s*javascript:|<iframe(?:[^>]*src="https://www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]+(?:\?[a-z0-9=&;]*)?")?`)

// FuzzCourseDialect loads any text as a course: it never panics, and nothing
// that runs script reaches the HTML. The golden archives are its seeds, so
// `go test` runs them every time.
func FuzzCourseDialect(f *testing.F) {
	archives, _ := filepath.Glob("testdata/golden/*.txtar")
	for _, a := range archives {
		ar, err := txtar.ParseFile(a)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "index.md" {
				f.Add(string(file.Data))
			}
		}
	}
	if b, err := os.ReadFile("testdata/site/courses/4.EdgeComputing/4.Introduction to Micropython/_index.md"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, md string) {
		done := make(chan *Catalog, 1)
		go func() {
			done <- Load(fstest.MapFS{"c/index.md": {Data: []byte(md)}, "c/img/a.png": {Data: []byte("png")}}, Options{})
		}()
		var cat *Catalog
		select {
		case cat = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("loading this course takes more than 10 s:\n%q", md)
		}
		for _, c := range cat.Courses {
			for _, s := range c.Sections {
				h := string(s.HTML)
				for _, m := range unsafeRE.FindAllString(h, -1) {
					if !strings.HasSuffix(m, `"`) {
						t.Fatalf("unsafe HTML %q from:\n%s\n---\n%s", m, md, h)
					}
				}
			}
		}
		_ = cat.Search(md, 5)
	})
}
