package main

import (
	"fmt"
	"io"
	"os"

	"github.com/courselab/courselab/content"
)

// lint loads a course folder the way the server does and prints every
// problem with its file and line. Exit status 1 when there is any.
func lint(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: courselab lint DIR")
		return 2
	}
	dir := args[0]
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "courselab lint: %s is not a folder\n", dir)
		return 2
	}
	cat := content.Load(os.DirFS(dir), content.Options{})
	for _, p := range cat.Problems {
		fmt.Fprintf(stdout, "%s/%s\n", dir, p.String())
	}
	if len(cat.Problems) > 0 {
		fmt.Fprintf(stdout, "%d problem(s) in %d course(s)\n", len(cat.Problems), len(cat.Courses))
		return 1
	}
	fmt.Fprintf(stdout, "%d course(s), no problems\n", len(cat.Courses))
	return 0
}
