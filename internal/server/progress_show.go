package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
)

type progressJSONCourse struct {
	Sections  map[string]time.Time          `json:"sections"`
	Quizzes   map[string]progressJSONQuiz   `json:"quizzes"`
	Exercises map[string]progressJSONResult `json:"exercises"`
}

type progressJSONQuiz struct {
	Correct  bool      `json:"correct"`
	Answers  []string  `json:"answers"` // the latest answer's choices, shown again on the page
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

type progressJSONResult struct {
	Passed   bool      `json:"passed"`
	At       time.Time `json:"at"`
	Attempts int       `json:"attempts"`
	Summary  string    `json:"summary,omitempty"`
}

// learnerProgress reads the asking learner's progress; a learner the store
// does not know yet simply has none.
func (s *Server) learnerProgress(c echo.Context) (string, map[string]*store.CourseProgress, error) {
	learner, _ := s.learnerID(c)
	p, err := s.store.Progress(c.Request().Context(), learner)
	if errors.Is(err, store.ErrNotFound) {
		return learner, map[string]*store.CourseProgress{}, nil
	}
	return learner, p, err
}

// progressJSON answers GET /api/progress: sections read, quiz answers and
// exercise results per course.
func (s *Server) progressJSON(c echo.Context) error {
	learner, p, err := s.learnerProgress(c)
	if err != nil {
		return err
	}
	out := map[string]progressJSONCourse{}
	for id, cp := range p {
		jc := progressJSONCourse{Sections: cp.Sections, Quizzes: map[string]progressJSONQuiz{}, Exercises: map[string]progressJSONResult{}}
		for q, qp := range cp.Quizzes {
			jc.Quizzes[q] = progressJSONQuiz{Correct: qp.Correct, Answers: qp.Answers, Attempts: qp.Attempts, At: qp.At}
		}
		for e, ep := range cp.Exercises {
			jc.Exercises[e] = progressJSONResult{Passed: ep.Passed, At: ep.At, Attempts: ep.Attempts, Summary: ep.Summary}
		}
		out[id] = jc
	}
	return c.JSON(http.StatusOK, map[string]any{"learner": learner, "courses": out})
}

type progressCourse struct {
	Course                   *content.Course
	Read, Quizzes, Exercises int
	QuizTotal, ExerciseTotal int
	Items                    []progressItem
}

type progressItem struct {
	Kind, Title, Href string
	Done, Tried       bool
	At                time.Time
	Summary           string
}

type progressPage struct {
	page
	Class   string           // the class's name when it names its courses
	Courses []progressCourse // the courses of the learner's class (every course when it names none)
	Others  []progressCourse // other courses the learner started
}

// progressShow is the learner's own progress page.
func (s *Server) progressShow(c echo.Context) error {
	_, p, err := s.learnerProgress(c)
	if err != nil {
		return err
	}
	data := progressPage{page: s.page()}
	class := s.learnerClass(c)
	if len(class.Courses) > 0 {
		data.Class = class.Name
	}
	for _, course := range s.courses.Catalog().Courses {
		cp := p[course.ID]
		taken := class.Takes(course.ID)
		if !taken && cp == nil {
			continue
		}
		pc := progressCourse{Course: course}
		for _, sec := range course.Sections {
			href := "/courses/" + course.ID + "/" + sec.Slug
			item := progressItem{Kind: "section", Title: sec.Title, Href: href}
			if cp != nil {
				if at, ok := cp.Sections[sec.Slug]; ok {
					item.Done, item.At = true, at
					pc.Read++
				}
			}
			pc.Items = append(pc.Items, item)
			for _, q := range sec.Quizzes {
				pc.QuizTotal++
				item := progressItem{Kind: "quiz", Title: q.Title, Href: href + "#quiz-" + q.ID}
				if cp != nil {
					if qp, ok := cp.Quizzes[q.ID]; ok {
						item.Done, item.Tried, item.At = qp.Correct, !qp.Correct, qp.At
						if qp.Correct {
							pc.Quizzes++
						}
					}
				}
				pc.Items = append(pc.Items, item)
			}
			for _, ex := range sec.Exercises {
				pc.ExerciseTotal++
				item := progressItem{Kind: "exercise", Title: ex.Title, Href: href + "#exercise-" + ex.ID}
				if cp != nil {
					if ep, ok := cp.Exercises[ex.ID]; ok {
						item.Done, item.Tried, item.At, item.Summary = ep.Passed, !ep.Passed, ep.At, ep.Summary
						if ep.Passed {
							pc.Exercises++
						}
					}
				}
				pc.Items = append(pc.Items, item)
			}
		}
		if taken {
			data.Courses = append(data.Courses, pc)
		} else {
			data.Others = append(data.Others, pc)
		}
	}
	return s.render(c, http.StatusOK, "progress", data)
}
