package server

import (
	"time"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
)

// classColumn is one thing a learner can do in a course: read a section,
// answer a quiz, pass an exercise.
type classColumn struct {
	Course, Kind, ID, Title string // Kind: section, quiz, exercise
	Section                 string // the slug of the section it belongs to
}

// classCell is what one learner did for one column.
type classCell struct {
	Done    bool      // read, answered correctly, passed
	Tried   bool      // answered or checked, without success yet
	At      time.Time // when it was done (or last tried)
	Summary string    // an exercise's last result sentence
	// FailingSince: the first failed check of an exercise not passed yet.
	FailingSince time.Time
}

type classRow struct {
	Learner store.Learner
	Cells   []classCell
	Done    int
	Lab     string // the sandbox's state, filled by the dashboard
}

// classTable is the instructor's view: learners × everything in the courses.
type classTable struct {
	Courses []classCourse
	Columns []classColumn
	Rows    []classRow
}

type classCourse struct {
	ID, Title string
	Span      int
}

// buildClassTable lays out the learners of class against the courses the
// class takes.
func buildClassTable(cat *content.Catalog, class store.Class, learners []store.LearnerProgress) classTable {
	var t classTable
	for _, course := range cat.Courses {
		if !class.Takes(course.ID) {
			continue
		}
		n := 0
		for _, sec := range course.Sections {
			t.Columns = append(t.Columns, classColumn{course.ID, "section", sec.Slug, sec.Title, sec.Slug})
			n++
			for _, q := range sec.Quizzes {
				t.Columns = append(t.Columns, classColumn{course.ID, "quiz", q.ID, q.Title, sec.Slug})
				n++
			}
			for _, ex := range sec.Exercises {
				t.Columns = append(t.Columns, classColumn{course.ID, "exercise", ex.ID, ex.Title, sec.Slug})
				n++
			}
		}
		if n > 0 {
			t.Courses = append(t.Courses, classCourse{ID: course.ID, Title: course.Title, Span: n})
		}
	}
	for _, lp := range learners {
		row := classRow{Learner: lp.Learner, Cells: make([]classCell, len(t.Columns))}
		for i, col := range t.Columns {
			cp := lp.Courses[col.Course]
			if cp == nil {
				continue
			}
			var cell classCell
			switch col.Kind {
			case "section":
				if at, ok := cp.Sections[col.ID]; ok {
					cell = classCell{Done: true, At: at}
				}
			case "quiz":
				if q, ok := cp.Quizzes[col.ID]; ok {
					cell = classCell{Done: q.Correct, Tried: !q.Correct, At: q.At}
				}
			case "exercise":
				if e, ok := cp.Exercises[col.ID]; ok {
					cell = classCell{Done: e.Passed, Tried: !e.Passed, At: e.At, Summary: e.Summary, FailingSince: e.FailingSince}
				}
			}
			row.Cells[i] = cell
			if cell.Done {
				row.Done++
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
