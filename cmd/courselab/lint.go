package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/courselab/courselab/content"
)

// lint loads a folder of courses the way the server does and prints every
// problem as DIR/file:line: error|warning: message, sorted by file and line,
// then a summary. Exit status: 1 when there is any error, 0 with warnings
// only, 2 when DIR is missing or not a folder.
func lint(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(stderr, "usage: courselab lint DIR\n\nDIR is a folder of courses (each course a sub-folder holding index.md).")
		return 2
	}
	dir := args[0]
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "courselab lint: %s is not a folder\n", dir)
		return 2
	}
	cat := content.Load(os.DirFS(dir), content.Options{})
	problems := append([]content.Problem(nil), cat.Problems...)
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].File != problems[j].File {
			return problems[i].File < problems[j].File
		}
		return problems[i].Line < problems[j].Line
	})
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
	exercises := 0
	for _, c := range cat.Courses {
		exercises += len(c.Exercises)
	}
	fmt.Fprintf(stdout, "%s: %d course(s), %d exercise(s): %d error(s), %d warning(s)\n", dir, len(cat.Courses), exercises, errors, warnings)
	if errors > 0 {
		return 1
	}
	return 0
}
