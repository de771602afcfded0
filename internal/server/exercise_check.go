package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs/check"
)

// checkTimeLimit bounds one evaluation, whatever the checks ask for: a
// learner who closes the tab must not leave a check running for long.
const checkTimeLimit = 2 * time.Minute

type exerciseItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Section string `json:"section"`
	Passed  bool   `json:"passed"`
}

// exercisesList answers GET /api/courses/{course}/exercises.
func (s *Server) exercisesList(c echo.Context) error {
	course, err := s.course(c, s.courses.Catalog())
	if err != nil {
		return err
	}
	_, p, err := s.learnerProgress(c)
	if err != nil {
		return err
	}
	items := []exerciseItem{}
	for _, ex := range course.Exercises {
		item := exerciseItem{ID: ex.ID, Title: ex.Title, Section: ex.Section}
		if cp := p[course.ID]; cp != nil {
			item.Passed = cp.Exercises[ex.ID].Passed
		}
		items = append(items, item)
	}
	return c.JSON(http.StatusOK, map[string]any{"exercises": items})
}

type checkDetail struct {
	Check   string `json:"check"`
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
}

type checkResponse struct {
	Passed   bool          `json:"passed"`
	Summary  string        `json:"summary"`
	Details  []checkDetail `json:"details"`
	Timeline []check.Step  `json:"timeline"` // the packets behind the verdict, the failing point marked "wrong"
}

// checkEvidence is what a check result stores as its evidence.
type checkEvidence struct {
	Details  []check.Detail `json:"details"`
	Timeline []check.Step   `json:"timeline"`
}

// exerciseCheck answers POST /api/courses/{course}/exercises/{id}/check:
// it evaluates the exercise's checks against the learner's sandbox, stores
// the result with its evidence, and only then answers. Two presses at once
// share one evaluation.
func (s *Server) exerciseCheck(c echo.Context) error {
	cat := s.courses.Catalog()
	course, err := s.course(c, cat)
	if err != nil {
		return err
	}
	ex := course.Exercise(c.Param("exercise"))
	if ex == nil {
		return notFound("The course %q has no exercise %q.", course.Title, c.Param("exercise"))
	}
	if len(ex.Problems) > 0 {
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("This exercise cannot be checked yet: its course file has a mistake (%s). Tell your instructor.", ex.Problems[0].Message))
	}
	learner, _ := s.learnerID(c)
	all, _ := s.labSetup(cat)
	sb, err := s.labs.Sandbox(learner, all)
	if err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The lab is full right now; try again in a minute.")
	}
	sb.Touch()

	// The evaluation outlives a closed tab (its result is still stored) but
	// not the time limit.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), checkTimeLimit)
	defer cancel()
	key := learner + "\x00" + course.ID + "\x00" + ex.ID
	res := s.checks.EvaluateOnce(ctx, key, sb, specsOf(ex))

	// The evidence keeps the timeline even of a passed check, so that an
	// instructor can see what the learner's clients did.
	evidence, err := json.Marshal(checkEvidence{Details: res.Details, Timeline: res.Timeline})
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	rec := store.ExerciseResult{Passed: res.Passed, Summary: res.Summary, Evidence: evidence, At: res.At, Failure: check.Generic(res.Summary)}
	err = s.store.RecordCheck(ctx, learner, course.ID, ex.ID, rec)
	if errors.Is(err, store.ErrNotFound) {
		if _, err = s.store.EnsureLearner(ctx, learner, learner); err == nil {
			err = s.store.RecordCheck(ctx, learner, course.ID, ex.ID, rec)
		}
	}
	if err != nil {
		return fmt.Errorf("record check: %w", err)
	}
	s.progressChanged(learner)

	out := checkResponse{Passed: res.Passed, Summary: res.Summary, Details: []checkDetail{}, Timeline: res.Timeline}
	if out.Timeline == nil {
		out.Timeline = []check.Step{}
	}
	for _, d := range res.Details {
		out.Details = append(out.Details, checkDetail{Check: d.Check, Passed: d.Passed, Message: d.Message})
	}
	return c.JSON(http.StatusOK, out)
}

func specsOf(ex *content.Exercise) []check.Spec {
	specs := make([]check.Spec, len(ex.Checks))
	for i, ch := range ex.Checks {
		specs[i] = check.Spec{Type: ch.Type, Args: ch.Args, Line: ch.Line}
	}
	return specs
}
