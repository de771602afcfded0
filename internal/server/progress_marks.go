package server

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

// A section is done when its exercises pass and its quizzes are answered
// right; a section with neither is done once read. Opening a page does not
// count as reading it: the page reports a read after it was shown for a
// while (sectionRead).

// sectionMark is one section's state for one learner.
type sectionMark struct {
	Slug      string `json:"slug"`
	Read      bool   `json:"read"`
	Tasks     int    `json:"tasks"`      // quizzes and exercises in the section
	TasksDone int    `json:"tasks_done"` // of those, answered right or passed
	Done      bool   `json:"done"`
}

// courseMarks is a learner's state in one course.
type courseMarks struct {
	Sections                   []sectionMark
	SectionsDone               int
	Exercises, ExercisesPassed int
	Quizzes, QuizzesRight      int
	Started                    bool
	Next                       *content.Section // the first section not done; nil when all are
}

// marksOf works out a course's marks from what the learner has done.
func marksOf(course *content.Course, set *doneSet) courseMarks {
	var m courseMarks
	for _, sec := range course.Sections {
		sm := sectionMark{Slug: sec.Slug, Read: set.read[readKey(course.ID, sec.Slug)]}
		for _, q := range sec.Quizzes {
			sm.Tasks++
			m.Quizzes++
			if set.quizzes[readKey(course.ID, q.ID)] {
				sm.TasksDone++
				m.QuizzesRight++
			}
		}
		for _, ex := range sec.Exercises {
			sm.Tasks++
			m.Exercises++
			if set.exercises[readKey(course.ID, ex.ID)] {
				sm.TasksDone++
				m.ExercisesPassed++
			}
		}
		sm.Done = sm.TasksDone == sm.Tasks && (sm.Tasks > 0 || sm.Read)
		if sm.Done {
			m.SectionsDone++
		} else if m.Next == nil {
			m.Next = sec
		}
		if sm.Read || sm.TasksDone > 0 {
			m.Started = true
		}
		m.Sections = append(m.Sections, sm)
	}
	return m
}

// markHTML is a section's mark in the sidebar and the overview: a green ✓
// when done, "2/4" while some of its quizzes and exercises are left.
func markHTML(sm sectionMark) string {
	switch {
	case sm.Done:
		return `<span class="read-mark" title="Done">✓<span class="visually-hidden"> (done)</span></span>`
	case sm.Tasks > 0 && (sm.Read || sm.TasksDone > 0):
		what := fmt.Sprintf("%d of %d exercises and quizzes done", sm.TasksDone, sm.Tasks)
		return fmt.Sprintf(`<span class="task-mark" title="%s">%d/%d<span class="visually-hidden"> (%s)</span></span>`, what, sm.TasksDone, sm.Tasks, what)
	}
	return ""
}

// progressLabel says how far the learner is, in words.
func progressLabel(course *content.Course, m courseMarks) string {
	s := fmt.Sprintf("%d of %d sections done", m.SectionsDone, len(course.Sections))
	if m.Exercises > 0 {
		s += fmt.Sprintf(" · %d of %d exercises passed", m.ExercisesPassed, m.Exercises)
	}
	if m.Quizzes > 0 {
		s += fmt.Sprintf(" · %d of %d quizzes right", m.QuizzesRight, m.Quizzes)
	}
	return s
}

// progressBar is a course's bar: sections done, then the words.
func progressBar(course *content.Course, m courseMarks) string {
	label := template.HTMLEscapeString(progressLabel(course, m))
	return fmt.Sprintf(`<div class="progress"><progress class="bar" max="%d" value="%d" aria-label="%s"></progress><span>%s</span></div>`,
		len(course.Sections), m.SectionsDone, label, label)
}

// continueHTML is the overview's call to action: start, continue where the
// learner is (the first section not done), or review a finished course.
func continueHTML(course *content.Course, m courseMarks) string {
	href := func(sec *content.Section) string {
		return template.HTMLEscapeString("/courses/" + course.ID + "/" + sec.Slug)
	}
	first := course.Sections[0]
	switch {
	case !m.Started:
		return `<a class="button primary" href="` + href(first) + `">Start the course →</a>`
	case m.Next != nil:
		return `<a class="button primary" href="` + href(m.Next) + `">Continue: ` + template.HTMLEscapeString(m.Next.Title) + ` →</a>`
	}
	return `<p class="course-done">You have done the whole course.</p><a class="button" href="` + href(first) + `">Review it from the start</a>`
}

// courseMarksJSON is what the page's script gets after a read, a quiz or a
// check, to update the marks without a reload.
type courseMarksJSON struct {
	Sections []sectionMark     `json:"sections"`
	Marks    map[string]string `json:"marks"` // slug → the mark's HTML
	Progress string            `json:"progress"`
}

func (s *Server) marksJSON(c echo.Context, course *content.Course) error {
	learner, _ := s.learnerID(c)
	set, err := s.reads.load(c.Request().Context(), s.store, learner)
	if err != nil {
		return err
	}
	var m courseMarks
	s.reads.view(set, func(d *doneSet) { m = marksOf(course, d) })
	out := courseMarksJSON{Sections: m.Sections, Marks: map[string]string{}, Progress: progressLabel(course, m)}
	for _, sm := range m.Sections {
		out.Marks[sm.Slug] = markHTML(sm)
	}
	return c.JSON(http.StatusOK, out)
}

// courseMarksShow answers GET /api/courses/:course/marks.
func (s *Server) courseMarksShow(c echo.Context) error {
	course, err := s.course(c, s.courses.Catalog())
	if err != nil {
		return err
	}
	return s.marksJSON(c, course)
}

// sectionRead answers POST /api/courses/:course/sections/:section/read,
// which the page sends once it has been shown long enough to be read.
func (s *Server) sectionRead(c echo.Context) error {
	course, err := s.course(c, s.courses.Catalog())
	if err != nil {
		return err
	}
	sec := course.Section(c.Param("section"))
	if sec == nil {
		return notFound("The course %q has no section %q.", course.Title, c.Param("section"))
	}
	learner, _ := s.learnerID(c)
	if err := s.markRead(c.Request().Context(), learner, course, sec); err != nil {
		return err
	}
	return s.marksJSON(c, course)
}
