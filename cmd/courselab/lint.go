package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/labs"
)

// lint loads a folder the way the server does (content.OpenDir, then
// content.Load: one code path) and prints first one line counting what the
// server would serve, then every problem as DIR/file:line: error|warning:
// message, sorted by file and line, then the number of errors and warnings.
// Exit status: 1 when there is any error, 0 with warnings only, 2 when DIR is
// missing or not a folder.
func lint(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(stderr, "usage: courselab lint DIR\n\nDIR is what --courses would be given: a folder of courses (each course a sub-folder holding index.md), a whole site (courses/, programs/, resources/, solutions/), or one course folder.")
		return 2
	}
	dir := args[0]
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "courselab lint: %s is not a folder\n", dir)
		return 2
	}
	cat, err := loadForLint(dir)
	if err != nil {
		fmt.Fprintf(stderr, "courselab lint: %v\n", err)
		return 2
	}
	only := ""
	if servesNothing(cat) && isCourseFolder(dir) {
		// DIR is one course: load its parent the way the server would, and
		// report on this course alone.
		abs, err := filepath.Abs(dir)
		if err != nil {
			fmt.Fprintf(stderr, "courselab lint: %v\n", err)
			return 2
		}
		root := filepath.Dir(abs)
		only = filepath.Base(abs)
		if cat, err = loadForLint(root); err != nil {
			fmt.Fprintf(stderr, "courselab lint: %v\n", err)
			return 2
		}
		dir = root
	}
	problems := append([]content.Problem(nil), cat.Problems...)
	problems = append(problems, labSetupProblems(cat)...)
	if only != "" {
		problems = keepUnder(problems, only)
		courses := cat.Courses[:0:0]
		for _, c := range cat.Courses {
			if c.Dir == only {
				courses = append(courses, c)
			}
		}
		cat = &content.Catalog{Courses: courses}
	}
	content.SortProblems(problems)
	fmt.Fprintf(stdout, "%s: serves %s\n", dir, cat.Summary())
	errors, warnings := 0, 0
	for _, p := range problems {
		if p.Severity == content.Error {
			errors++
		} else {
			warnings++
		}
		p.File = filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(p.File)))
		fmt.Fprintln(stdout, p.String())
	}
	fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", dir, errors, warnings)
	if errors > 0 {
		return 1
	}
	return 0
}

// loadForLint loads dir as the server loads --courses.
func loadForLint(dir string) (*content.Catalog, error) {
	fsys, err := content.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return content.Load(fsys, content.Options{}), nil
}

// servesNothing reports whether a catalog has no course and no page.
func servesNothing(cat *content.Catalog) bool {
	return len(cat.Courses) == 0 && len(cat.Programs) == 0 && len(cat.Resources) == 0 && len(cat.Solutions) == 0
}

// isCourseFolder reports whether dir holds a course itself: its index has a
// body.
func isCourseFolder(dir string) bool {
	for _, name := range []string{"index.md", "_index.md"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && hasBody(string(b)) {
			return true
		}
	}
	return false
}

// hasBody reports whether a Markdown file has text after its front matter.
func hasBody(md string) bool {
	rest := md
	if strings.HasPrefix(rest, "---") {
		if i := strings.Index(rest[3:], "\n---"); i >= 0 {
			rest = rest[3+i+4:]
		}
	}
	return strings.TrimSpace(rest) != ""
}

func keepUnder(problems []content.Problem, folder string) []content.Problem {
	var out []content.Problem
	for _, p := range problems {
		if strings.HasPrefix(p.File, folder+"/") {
			out = append(out, p)
		}
	}
	return out
}

// labSetupProblems checks each course's `lab:` front matter the way the
// labs read it, so a typo shows in lint rather than as an empty sandbox.
func labSetupProblems(cat *content.Catalog) []content.Problem {
	var out []content.Problem
	for _, c := range cat.Courses {
		raw, ok := c.Meta["lab"]
		if !ok {
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			out = append(out, content.Problem{File: c.File, Line: c.MetaLine("lab"), Severity: content.Error, Message: "lab: expected a mapping with a devices list (see docs/AUTHORING.md, Lab set-up)"})
			continue
		}
		if _, err := labs.ParseSetup(map[string]any{"lab": m}); err != nil {
			// The labs name the key at fault first: "lab.devices[0].sensors: …".
			where, _, _ := strings.Cut(err.Error(), ":")
			out = append(out, content.Problem{File: c.File, Line: c.MetaLine(where), Severity: content.Error, Message: err.Error() + " (see docs/AUTHORING.md, Lab set-up)"})
		}
	}
	return out
}
