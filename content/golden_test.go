package content

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Golden archives hold a course folder (index.md and any other files) and what it
// renders to: want.html (every section, each after a marker line) and
// problems.txt. An archive with lab-values.txt (name=value lines) also holds
// want-lab.html, the sections rendered by HTMLFor with those values. Run
// `go test ./content -update` to rewrite the expectations.
const (
	goldenHTML     = "want.html"
	goldenProblems = "problems.txt"
	goldenValues   = "lab-values.txt"
	goldenLabHTML  = "want-lab.html"
)

// loadArchive loads the course files of a golden archive as course folder "demo".
func loadArchive(t *testing.T, ar *txtar.Archive) *Catalog {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range ar.Files {
		if f.Name == goldenHTML || f.Name == goldenProblems || f.Name == goldenValues || f.Name == goldenLabHTML {
			continue
		}
		fsys["demo/"+f.Name] = &fstest.MapFile{Data: f.Data}
	}
	return Load(fsys, Options{})
}

// dumpSections writes what a reader of the course gets, section by section.
func dumpSections(c *Course) string {
	var b strings.Builder
	for _, s := range c.Sections {
		fmt.Fprintf(&b, "<!-- section %d %s %q line %d -->\n", s.Index, s.Slug, s.Title, s.Line)
		b.WriteString(string(s.HTML))
	}
	return b.String()
}

// dumpSectionsFor writes what a learner with these lab values gets.
func dumpSectionsFor(c *Course, values map[string]string) string {
	var b strings.Builder
	for _, s := range c.Sections {
		fmt.Fprintf(&b, "<!-- section %d %s placeholders %v -->\n", s.Index, s.Slug, s.HasPlaceholders)
		b.WriteString(string(s.HTMLFor(values)))
	}
	return b.String()
}

// parseValues reads name=value lines.
func parseValues(data []byte) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func dumpProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func TestGoldenRendering(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cat := loadArchive(t, ar)
			if len(cat.Courses) != 1 {
				t.Fatalf("want 1 course, got %d; problems:\n%s", len(cat.Courses), dumpProblems(cat.Problems))
			}
			got := map[string]string{
				goldenHTML:     dumpSections(cat.Courses[0]),
				goldenProblems: dumpProblems(cat.Problems),
			}
			names := []string{goldenHTML, goldenProblems}
			if values := fileData(ar, goldenValues); values != nil {
				got[goldenLabHTML] = dumpSectionsFor(cat.Courses[0], parseValues(values))
				names = append(names, goldenLabHTML)
			}
			if *update {
				for _, name := range names {
					setFile(ar, name, got[name])
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, name := range names {
				want := string(fileData(ar, name))
				if got[name] != want {
					t.Errorf("%s differs (run go test ./content -update and review the diff)\n--- got\n%s\n--- want\n%s", name, got[name], want)
				}
			}
		})
	}
}

func fileData(ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

func setFile(ar *txtar.Archive, name, data string) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = []byte(data)
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
}

// TestGoldenInvariants checks, on every golden course, what must hold whatever
// the expected HTML says.
func TestGoldenInvariants(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cat := loadArchive(t, ar)
		values := parseValues(fileData(ar, goldenValues))
		for _, c := range cat.Courses {
			for _, s := range c.Sections {
				assertSafe(t, file, string(s.HTML))
				assertSafe(t, file, string(s.HTMLFor(values)))
				if !bytes.Contains([]byte(s.HTML), []byte(`<h1 id="`+s.Slug+`"`)) && s.Title != c.Title {
					t.Errorf("%s: section %q has no <h1 id=%q>", file, s.Title, s.Slug)
				}
			}
		}
	}
}
