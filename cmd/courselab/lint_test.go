package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/courselab/courselab/content"
)

func runLint(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"lint"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestLintNamesEveryProblemOfABrokenCourse(t *testing.T) {
	const dir = "../../content/testdata/broken-course"
	code, out, _ := runLint(t, dir)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	want := []struct{ where, what string }{
		{"badfm/index.md:3: error:", "front matter cannot be read"},
		{"broken/index.md:8: error:", `image "img/missing.png" is not in the course folder`},
		{"broken/index.md:10: error:", `the file "other.md" is not in the course folder`},
		{"broken/index.md:10: error:", "the link to #no-such-heading goes nowhere"},
		{"broken/index.md:12: error:", "unknown placeholder [[lab.mqtt_uri]]"},
		{"broken/index.md:14: warning:", "<device-id> is not an HTML tag"},
		{"broken/index.md:16: error:", `<quiz id="q1"> has no right answer`},
		{"broken/index.md:21: error:", "another quiz of this course has the same id"},
		{"broken/index.md:30: error:", `unknown check type "recieved": use one of received, subscribed`},
		{"broken/index.md:33: error:", "another exercise of this course has the same id"},
		{"broken/index.md:36: error:", `check type "published" needs topic=`},
		{"broken/index.md:39: error:", "write ids as lower-case words joined by"},
		{"broken/index.md:39: error:", "has no <check …/>"},
		{"broken/index.md:43: error:", `<exercise id="unclosed"> is not closed`},
		{"broken/index.md:50: warning:", "a full HTML document is shown as code"},
		{"dup/index.md:2: error:", `course id "broken" is already used`},
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want)+2 {
		t.Errorf("got %d lines, want what is served, %d problems and a summary:\n%s", len(lines), len(want), out)
	}
	if served := lines[0]; served != dir+": serves 1 course in 0 categories, 3 pages, 2 quizzes, 4 exercises" {
		t.Errorf("first line = %q", served)
	}
	lines = lines[1:]
	for i, w := range want {
		if i >= len(lines) {
			break
		}
		if !strings.HasPrefix(lines[i], dir+"/"+w.where) || !strings.Contains(lines[i], w.what) {
			t.Errorf("line %d = %q\nwant %s/%s … %s", i+1, lines[i], dir, w.where, w.what)
		}
	}
	if summary := lines[len(lines)-1]; !strings.Contains(summary, "14 error(s), 2 warning(s)") {
		t.Errorf("summary = %q", summary)
	}
}

func TestLintExitsZeroOnWarningsOnly(t *testing.T) {
	code, out, _ := runLint(t, "../../content/testdata/warnings-course")
	if code != 0 {
		t.Errorf("exit status %d, want 0:\n%s", code, out)
	}
	if !strings.Contains(out, "style/index.md:14: warning: a full HTML document") || !strings.Contains(out, "0 error(s), 5 warning(s)") {
		t.Errorf("output:\n%s", out)
	}
}

func TestLintBundledCoursesAreClean(t *testing.T) {
	code, out, _ := runLint(t, "../../courses")
	if code != 0 || strings.Contains(out, "error:") {
		t.Errorf("exit status %d:\n%s", code, out)
	}
}

func TestLintUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"a", "b"}, {"--help"}, {"/no/such/folder"}, {"lint_test.go"}} {
		if code, _, errOut := runLint(t, args...); code != 2 || errOut == "" {
			t.Errorf("lint %q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

// lint and the server load a folder through one path (content.OpenDir, then
// content.Load): the first line counts what the server serves, and every
// problem of that catalog is printed once, with its file:line.
func TestLintDescribesWhatTheServerServes(t *testing.T) {
	const dir = "../../content/testdata/site"
	fsys, err := content.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := content.Load(fsys, content.Options{})
	code, out, _ := runLint(t, dir)
	if code != 0 {
		t.Errorf("exit status %d, want 0 (warnings only):\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := dir + ": serves 4 courses in 3 categories, 1 program (2 units, 2 events), 2 resources, 1 solution, 6 pages, 4 quizzes, 0 exercises"; lines[0] != want || lines[0] != dir+": serves "+cat.Summary().String() {
		t.Errorf("first line = %q, want %q", lines[0], want)
	}
	content.SortProblems(cat.Problems)
	if len(lines) != len(cat.Problems)+2 {
		t.Fatalf("got %d lines for %d problems:\n%s", len(lines), len(cat.Problems), out)
	}
	for i, p := range cat.Problems {
		p.File = dir + "/" + p.File
		if lines[i+1] != p.String() {
			t.Errorf("line %d = %q, want %q", i+2, lines[i+1], p.String())
		}
	}
}

// A mistake in the lab set-up is reported at the key that holds it.
func TestLintNamesTheLineOfALabSetUpMistake(t *testing.T) {
	dir := t.TempDir()
	course := dir + "/c"
	if err := os.MkdirAll(course, 0o755); err != nil {
		t.Fatal(err)
	}
	md := "---\ntitle: C\nlab:\n  devices:\n    - id: ESPDEVICE\n      sensors:\n        - id: TC\n          colour: red\n---\n# C\n"
	if err := os.WriteFile(course+"/index.md", []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runLint(t, dir)
	if code != 1 || !strings.Contains(out, dir+"/c/index.md:7: error: lab.devices[0].sensors[0]") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
