package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
)

const readMarkHTML = `<span class="read-mark" title="Read">✓<span class="visually-hidden"> (read)</span></span>`

// markRead records that the learner opened a section: a map lookup when it
// is known, one committed write the first time.
func (s *Server) markRead(ctx context.Context, learner string, course *content.Course, sec *content.Section) error {
	set, err := s.reads.load(ctx, s.store, learner)
	if err != nil {
		return err
	}
	if s.reads.has(set, course.ID, sec.Slug) {
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
	s.reads.mark(set, course.ID, sec.Slug)
	s.notifyClass()
	return nil
}

// authoringCSS reveals exercises' authoring errors, which the stylesheet
// hides from learners.
const authoringCSS = `<style>.authoring-error{display:block}</style>`

// viewerSlots fills what differs per person in a shared page: the read
// marks of a course's sections, its progress bar (slot "progress:ID"), and
// whether authoring errors show.
func (s *Server) viewerSlots(c echo.Context, courses ...*content.Course) map[string]string {
	slots := map[string]string{}
	if s.seesAuthoringErrors(c) {
		slots[slotMarker("head", "authoring")] = authoringCSS
	}
	learner, ok := s.learnerID(c)
	if !ok {
		return slots
	}
	set, err := s.reads.load(c.Request().Context(), s.store, learner)
	if err != nil {
		s.log.Warn("read progress", "learner", learner, "err", err)
		return slots
	}
	for _, course := range courses {
		slugs := make([]string, len(course.Sections))
		for i, sec := range course.Sections {
			slugs[i] = sec.Slug
		}
		read := s.reads.snapshot(set, course.ID, slugs)
		for slug := range read {
			slots[slotMarker("read", slug)] = readMarkHTML
		}
		if len(read) > 0 {
			slots[slotMarker("progress", course.ID)] = progressBar(len(read), len(slugs))
		}
	}
	return slots
}

func progressBar(done, total int) string {
	label := fmt.Sprintf("%d of %d sections read", done, total)
	return fmt.Sprintf(`<div class="progress"><progress class="bar" max="%d" value="%d" aria-label="%s"></progress><span>%s</span></div>`,
		total, done, template.HTMLEscapeString(label), template.HTMLEscapeString(label))
}
