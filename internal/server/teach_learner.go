package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/check"
	"github.com/courselab/courselab/labs/history"
)

// One learner, live: their progress, their latest Checks with the packets
// behind each verdict, and their lab as it is now. Read-only, but for the
// reset, which asks first.

// learnerChecks is how many of a learner's latest Checks the page shows.
const learnerChecks = 10

// learnerMessages is how many of the lab's latest messages it shows.
const learnerMessages = 15

type teachLearnerPage struct {
	page
	Learner store.Learner
	Courses []learnerCourse
	Checks  []learnerCheck
	Lab     learnerLab
	Reset   bool // the lab was just reset
}

// Back is the table of the learner's class.
func (p teachLearnerPage) Back() string { return classTableURL(p.Learner.Class) }

// learnerCourse is one course's items as this learner stands with them.
type learnerCourse struct {
	Title    string
	Done, Of int
	Items    []learnerItem
}

// learnerItem is one section, quiz or exercise and where the learner is.
type learnerItem struct {
	Kind, Title string
	State       string // done, tried, or empty: not started
	Note        string // attempts, the latest result sentence
}

// learnerCheck is one Check pressed, with its evidence.
type learnerCheck struct {
	Course, Exercise string
	Attempt          int
	Passed           bool
	Summary          string
	At               time.Time
	Timeline         []check.Step
}

// learnerLab is the learner's sandbox right now.
type learnerLab struct {
	Learner  string
	Here     bool   // the sandbox is on this node
	Where    string // otherwise, why it is not shown
	Sessions []labs.Session
	Retained []labs.RetainedMessage
	Messages []history.Message // newest last
	At       time.Time
}

// Connected counts the sessions with a live connection.
func (l learnerLab) Connected() int {
	n := 0
	for _, s := range l.Sessions {
		if s.Connected {
			n++
		}
	}
	return n
}

// teachLearner shows one learner's page.
func (s *Server) teachLearner(c echo.Context) error {
	ctx := c.Request().Context()
	l, err := s.teachLearnerOf(c)
	if err != nil {
		return err
	}
	progress, err := s.store.Progress(ctx, l.ID)
	if err != nil {
		return err
	}
	recent, err := s.store.RecentChecks(ctx, l.ID, learnerChecks)
	if err != nil {
		return err
	}
	cat := s.courses.Catalog()
	p := teachLearnerPage{page: s.page(), Learner: l, Courses: learnerCourses(cat, progress),
		Lab: s.learnerLab(l.ID), Reset: c.QueryParam("reset") != ""}
	for _, a := range recent {
		lc := learnerCheck{Course: a.Course, Exercise: a.Exercise, Attempt: a.Attempt, Passed: a.Passed, Summary: a.Summary, At: a.At}
		if cs := cat.Course(a.Course); cs != nil {
			lc.Course = cs.Title
			if ex := cs.Exercise(a.Exercise); ex != nil {
				lc.Exercise = ex.Title
			}
		}
		var ev checkEvidence
		if len(a.Evidence) > 0 && json.Unmarshal(a.Evidence, &ev) == nil {
			lc.Timeline = ev.Timeline
		}
		p.Checks = append(p.Checks, lc)
	}
	return s.render(c, http.StatusOK, "teach_learner", p)
}

// teachLearnerLab is the page's lab part alone, which the page fetches
// again every few seconds to stay live.
func (s *Server) teachLearnerLab(c echo.Context) error {
	l, err := s.teachLearnerOf(c)
	if err != nil {
		return err
	}
	html, err := s.executePart("teach_learner", "learner-lab", s.learnerLab(l.ID))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(http.StatusOK, html)
}

type teachResetAskPage struct {
	page
	Learner store.Learner
}

// Back is the table of the learner's class.
func (p teachResetAskPage) Back() string { return classTableURL(p.Learner.Class) }

// teachResetAsk asks before a reset, naming whose lab it throws away.
func (s *Server) teachResetAsk(c echo.Context) error {
	l, err := s.teachLearnerOf(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "teach_reset", teachResetAskPage{page: s.page(), Learner: l})
}

// teachLearnerOf reads the learner the URL names.
func (s *Server) teachLearnerOf(c echo.Context) (store.Learner, error) {
	id := c.Param("learner")
	l, err := s.store.Learner(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return l, notFound("There is no learner %q: open the class table and pick one there.", id)
	}
	return l, err
}

// learnerLab reads the learner's sandbox, without creating one: looking
// must not start a lab for someone who is not there.
func (s *Server) learnerLab(learner string) learnerLab {
	lab := learnerLab{Learner: learner, At: s.clock()}
	sb := s.labs.Lookup(learner)
	if sb == nil {
		lab.Where = "This learner has no lab running: it starts when they open a lab page or connect a client."
		if s.store.Shared() {
			lab.Where = "This learner's lab is not on this node: in a cluster each lab lives on the node their browser and clients reach. Open this page through that node's own address to see it live."
		}
		return lab
	}
	lab.Here = true
	lab.Sessions = sb.Sessions()
	for _, t := range sb.RetainedTopics() {
		if m, ok := sb.Retained(t); ok {
			lab.Retained = append(lab.Retained, m)
		}
	}
	msgs := history.Messages(sb.Journal().Since(0), history.Query{})
	lab.Messages = msgs[max(0, len(msgs)-learnerMessages):]
	return lab
}

// learnerCourses lays the learner's progress along the catalog.
func learnerCourses(cat *content.Catalog, progress map[string]*store.CourseProgress) []learnerCourse {
	var out []learnerCourse
	for _, course := range cat.Courses {
		lc := learnerCourse{Title: course.Title}
		cp := progress[course.ID]
		for _, sec := range course.Sections {
			it := learnerItem{Kind: "section", Title: sec.Title}
			if cp != nil {
				if at, ok := cp.Sections[sec.Slug]; ok {
					it.State, it.Note = "done", "read at "+at.UTC().Format("15:04 UTC, Jan 2")
				}
			}
			lc.Items = append(lc.Items, it)
			for _, q := range sec.Quizzes {
				it := learnerItem{Kind: "quiz", Title: q.Title}
				if qp, ok := cpQuiz(cp, q.ID); ok {
					it.State, it.Note = stateOf(qp.Correct), attemptsNote(qp.Attempts, "")
				}
				lc.Items = append(lc.Items, it)
			}
			for _, ex := range sec.Exercises {
				it := learnerItem{Kind: "exercise", Title: ex.Title}
				if cp != nil {
					if ep, ok := cp.Exercises[ex.ID]; ok {
						it.State, it.Note = stateOf(ep.Passed), attemptsNote(ep.Attempts, ep.Summary)
					}
				}
				lc.Items = append(lc.Items, it)
			}
		}
		for _, it := range lc.Items {
			lc.Of++
			if it.State == "done" {
				lc.Done++
			}
		}
		if lc.Of > 0 {
			out = append(out, lc)
		}
	}
	return out
}

func cpQuiz(cp *store.CourseProgress, id string) (store.QuizProgress, bool) {
	if cp == nil {
		return store.QuizProgress{}, false
	}
	q, ok := cp.Quizzes[id]
	return q, ok
}

func stateOf(ok bool) string {
	if ok {
		return "done"
	}
	return "tried"
}

func attemptsNote(n int, summary string) string {
	note := "1 attempt"
	if n != 1 {
		note = strconv.Itoa(n) + " attempts"
	}
	if summary != "" {
		note += ": " + summary
	}
	return note
}

// labResetNotice is what a learner's lab console says after the instructor
// reset their lab (labs.Labs.Reset puts it in their next lab's journal).
const labResetNotice = "Your instructor reset your lab: a fresh broker and cloud, without your sessions, retained messages or values. Your clients were disconnected: connect them again (your progress is kept)."
