package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
)

type joinPage struct {
	page
	Name  string
	Next  string
	Error string
	Full  bool   // the class holds --max-learners learners: no form, whom to ask instead
	Taken string // a learner of the class already has this name
}

// maxNameRunes bounds a display name; the form says so too (maxlength).
const maxNameRunes = 60

// joinShow is the classroom's front door: a name, nothing else.
func (s *Server) joinShow(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if _, ok := s.learnerID(c); ok {
		return c.Redirect(http.StatusSeeOther, localRedirect(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "join", joinPage{page: s.page(), Next: localRedirect(c.QueryParam("next"))})
}

// joinSave creates the learner and sets their signed session cookie. Joins
// are limited per address (one script must not fill the class) and by the
// size of the class: a learner past --max-learners is told so here, before
// they get credentials a full lab server could not honour.
func (s *Server) joinSave(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	name := cleanName(c.FormValue("name"))
	next := localRedirect(c.FormValue("next"))
	if msg := checkName(name); msg != "" {
		if !utf8.ValidString(name) {
			name = "" // not echoed back into the form
		}
		return s.render(c, http.StatusBadRequest, "join", joinPage{page: s.page(), Name: name, Next: next, Error: msg})
	}
	// Two learners called Ada would be one row too many for the
	// instructor: the second is asked whether they are the first.
	if l, err := s.store.LearnerNamed(c.Request().Context(), name); err == nil {
		return s.render(c, http.StatusConflict, "join", joinPage{page: s.page(), Next: next, Taken: l.Name})
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if ok, wait := s.joins.Allow(c.RealIP()); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return s.render(c, http.StatusTooManyRequests, "join", joinPage{page: s.page(), Name: name, Next: next,
			Error: fmt.Sprintf("Many people have joined from your network in the last minute. Wait %s and press Join again.", roundWait(wait))})
	}
	id := newLearnerID(name)
	full, err := s.enroll(c, id, name)
	if err != nil {
		return err
	}
	if !full {
		if _, err := s.store.IssueResumeLink(c.Request().Context(), id); err != nil {
			return err
		}
	}
	if full {
		s.log.Warn("class full: join refused", "max_learners", s.cfg.MaxLearners, "remote", c.RealIP())
		return s.render(c, http.StatusForbidden, "join", joinPage{page: s.page(), Full: true})
	}
	setCookie(c, learnerCookie, s.cookies.Sign(id), cookieMaxAge)
	welcomeAfterJoin(c)
	s.log.Info("learner joined", "learner", id)
	s.notifyClass(id)
	return c.Redirect(http.StatusSeeOther, next)
}

// enroll stores the new learner unless the class already holds
// --max-learners.
func (s *Server) enroll(c echo.Context, id, name string) (full bool, err error) {
	return s.enrollWith(c, func(ctx context.Context) error {
		_, err := s.store.EnsureLearner(ctx, id, name)
		return err
	})
}

// enrollWith runs create, which adds a learner, unless the class already
// holds --max-learners. Joins on this server are counted one at a time, so
// two people cannot both take the last place.
func (s *Server) enrollWith(c echo.Context, create func(ctx context.Context) error) (full bool, err error) {
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	ctx := c.Request().Context()
	all, err := s.store.Learners(ctx)
	if err != nil {
		return false, err
	}
	if len(all) >= s.cfg.MaxLearners {
		return true, nil
	}
	return false, create(ctx)
}

// roundWait says a wait in words a person reads at a glance.
func roundWait(d time.Duration) string {
	if s := int(math.Ceil(d.Seconds())); s < 90 {
		if s <= 1 {
			return "a second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
}

// cleanName trims a typed name and folds runs of spaces into one.
func cleanName(name string) string { return strings.Join(strings.Fields(name), " ") }

// checkName returns what is wrong with a display name, or "".
func checkName(name string) string {
	switch {
	case name == "":
		return "Enter your name, so your instructor knows whose progress this is."
	case !utf8.ValidString(name):
		return "Your name arrived garbled (it is not valid text); type it again."
	case utf8.RuneCountInString(name) > maxNameRunes:
		return fmt.Sprintf("That name is longer than %d characters; a shorter one will do.", maxNameRunes)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "Your name contains a character that cannot be shown; type it again."
		}
	}
	return ""
}
