package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
)

// markRead records that the learner read a section: a map lookup when it
// is known, one committed write the first time.
func (s *Server) markRead(ctx context.Context, learner string, course *content.Course, sec *content.Section) error {
	set, err := s.reads.load(ctx, s.store, learner)
	if err != nil {
		return err
	}
	if s.reads.hasRead(set, course.ID, sec.Slug) {
		return nil
	}
	err = s.store.MarkSectionRead(ctx, learner, course.ID, sec.Slug)
	if errors.Is(err, store.ErrNotFound) {
		// A cookie from before the database was reset: bring the learner back.
		if _, err = s.store.EnsureLearner(ctx, learner, learner); err == nil {
			err = s.store.MarkSectionRead(ctx, learner, course.ID, sec.Slug)
		}
	}
	if err != nil {
		return fmt.Errorf("mark section read: %w", err)
	}
	s.reads.markRead(set, course.ID, sec.Slug)
	s.notifyClass(learner)
	return nil
}

// progressChanged is called after a learner's quiz answer or check was
// stored: their cached marks are read again, and the dashboards wake up.
func (s *Server) progressChanged(learner string) {
	s.reads.forget(learner)
	s.notifyClass(learner)
}

// authoringCSS reveals exercises' authoring errors, which the stylesheet
// hides from learners.
const authoringCSS = `<style>.authoring-error{display:block}</style>`

// viewerSlots fills what differs per person in a shared page: the marks of
// a course's sections (slot "mark"), its progress bar ("progress:ID"), the
// overview's start or continue button ("continue:ID"), whether authoring
// errors show, and right after joining the resume link ("body:welcome").
func (s *Server) viewerSlots(c echo.Context, courses ...*content.Course) map[string]string {
	slots := map[string]string{}
	if s.seesAuthoringErrors(c) {
		slots[slotMarker("head", "authoring")] = authoringCSS
	}
	for _, course := range courses {
		if len(course.Sections) > 0 {
			slots[slotMarker("continue", course.ID)] = continueHTML(course, courseMarks{})
		}
	}
	learner, ok := s.learnerID(c)
	if !ok {
		return slots
	}
	s.welcomeSlot(c, learner, slots)
	set, err := s.reads.load(c.Request().Context(), s.store, learner)
	if err != nil {
		s.log.Warn("read progress", "learner", learner, "err", err)
		return slots
	}
	s.reads.view(set, func(d *doneSet) {
		for _, course := range courses {
			m := marksOf(course, d)
			for _, sm := range m.Sections {
				if h := markHTML(sm); h != "" {
					slots[slotMarker("mark", sm.Slug)] = h
				}
			}
			if m.Started {
				slots[slotMarker("progress", course.ID)] = progressBar(course, m)
				if len(course.Sections) > 0 {
					slots[slotMarker("continue", course.ID)] = continueHTML(course, m)
				}
			}
		}
	})
	return slots
}
