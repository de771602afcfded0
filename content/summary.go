package content

import (
	"fmt"
	"sort"
	"strings"
)

// SortProblems orders problems by file, then line, the way lint prints them.
func SortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// Summary counts what a catalog serves: what `courselab lint` prints first
// and the server logs when it loads, from the same Catalog.
type Summary struct {
	Courses, Categories, Programs, Units, Events, Resources, Solutions int
	// Pages are the course sections; Quizzes and Exercises those of the
	// courses.
	Pages, Quizzes, Exercises int
}

// Summary counts what the catalog serves.
func (c *Catalog) Summary() Summary {
	s := Summary{Courses: len(c.Courses), Categories: len(c.Categories), Programs: len(c.Programs),
		Resources: len(c.Resources), Solutions: len(c.Solutions)}
	for _, co := range c.Courses {
		s.Pages += len(co.Sections)
		s.Quizzes += len(co.Quizzes)
		s.Exercises += len(co.Exercises)
	}
	for _, p := range c.Programs {
		s.Units += len(p.Units)
		s.Events += len(p.Events)
	}
	return s
}

// String is one line: "30 courses in 11 categories, 2 programs (9 units, 4
// events), 12 resources, 3 solutions, 240 pages, 41 quizzes, 10 exercises".
func (s Summary) String() string {
	n := func(count int, one, many string) string {
		if count == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", count, many)
	}
	parts := []string{n(s.Courses, "course", "courses") + " in " + n(s.Categories, "category", "categories")}
	if s.Programs > 0 || s.Units > 0 || s.Events > 0 {
		parts = append(parts, n(s.Programs, "program", "programs")+" ("+n(s.Units, "unit", "units")+", "+n(s.Events, "event", "events")+")")
	}
	if s.Resources > 0 {
		parts = append(parts, n(s.Resources, "resource", "resources"))
	}
	if s.Solutions > 0 {
		parts = append(parts, n(s.Solutions, "solution", "solutions"))
	}
	parts = append(parts, n(s.Pages, "page", "pages"), n(s.Quizzes, "quiz", "quizzes"), n(s.Exercises, "exercise", "exercises"))
	return strings.Join(parts, ", ")
}
