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
	Name      string
	Code      string // the class's join code, as typed or from ?code=
	Next      string
	Error     string // what is wrong with the name
	CodeError string // no class has the code
	Full      bool   // the server holds --max-learners learners: no form, whom to ask instead
	Closed    string // the class of the code is closed: its name
	Taken     string // a learner of the class already has this name
}

// maxNameRunes bounds a display name; the form says so too (maxlength).
const maxNameRunes = 60

// joinShow is the classroom's front door: a name, and the class's code if
// the instructor gave one (a link may carry it: /join?code=MON42).
func (s *Server) joinShow(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if _, ok := s.learnerID(c); ok {
		return c.Redirect(http.StatusSeeOther, localRedirect(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "join", joinPage{page: s.page(), Code: cleanCode(c.QueryParam("code")), Next: localRedirect(c.QueryParam("next"))})
}

// joinSave creates the learner in the class of the code (the default class
// without one) and sets their signed session cookie. Joins are limited per
// address (one script must not fill the class, nor guess codes) and by the
// size of the server: a learner past --max-learners is told so here,
// before they get credentials a full lab server could not honour. A wrong
// code or a closed class is told too, and changes nothing.
func (s *Server) joinSave(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	ctx := c.Request().Context()
	p := joinPage{page: s.page(), Name: CleanName(c.FormValue("name")), Code: cleanCode(c.FormValue("code")), Next: localRedirect(c.FormValue("next"))}
	if !utf8.ValidString(p.Code) {
		p.Code = "" // not echoed back into the form
	}
	if p.Error = CheckName(p.Name); p.Error != "" {
		if !utf8.ValidString(p.Name) {
			p.Name = "" // not echoed back into the form
		}
		return s.render(c, http.StatusBadRequest, "join", p)
	}
	// Every try counts, a wrong code too: codes cannot be guessed faster
	// than people join.
	if ok, wait := s.joins.Allow(c.RealIP()); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		p.Error = fmt.Sprintf("Many people have joined from your network in the last minute. Wait %s and press Join again.", roundWait(wait))
		return s.render(c, http.StatusTooManyRequests, "join", p)
	}
	class, err := s.joinClass(ctx, c.FormValue("code"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.CodeError = codeUnknown(p.Code)
		return s.render(c, http.StatusBadRequest, "join", p)
	case err != nil:
		return err
	case !class.Open:
		s.log.Info("join refused: class closed", "class", class.ID, "remote", c.RealIP())
		return s.render(c, http.StatusForbidden, "join", joinPage{page: s.page(), Closed: class.Name})
	}
	// Two learners called Ada would be one row too many for the
	// instructor: the second is asked whether they are the first.
	if l, err := s.store.LearnerNamed(ctx, class.ID, p.Name); err == nil {
		p.Taken, p.Name = l.Name, ""
		return s.render(c, http.StatusConflict, "join", p)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	id := newLearnerID(p.Name)
	full, err := s.enroll(c, id, p.Name, class.ID)
	if err != nil {
		return err
	}
	if full {
		s.log.Warn("class full: join refused", "max_learners", s.cfg.MaxLearners, "remote", c.RealIP())
		return s.render(c, http.StatusForbidden, "join", joinPage{page: s.page(), Full: true})
	}
	if _, err := s.store.IssueResumeLink(ctx, id); err != nil {
		return err
	}
	s.learnerClasses.Store(id, class.ID)
	setCookie(c, learnerCookie, s.cookies.Sign(id), cookieMaxAge)
	welcomeAfterJoin(c)
	s.log.Info("learner joined", "learner", id, "class", class.ID)
	s.notifyClass(id)
	return c.Redirect(http.StatusSeeOther, p.Next)
}

// codeUnknown says that no class has the typed code, and what to do.
func codeUnknown(code string) string {
	return "No class has the code " + strconv.Quote(code) + ". Check it with your instructor and type it again, or leave it empty to join without a code."
}

// joinClass is the class a typed code names: the default class for no
// code, an error wrapping store.ErrNotFound for a code no class has.
func (s *Server) joinClass(ctx context.Context, typed string) (store.Class, error) {
	code := cleanCode(typed)
	if code == "" {
		return s.store.Class(ctx, store.DefaultClass)
	}
	if checkCode(code) != "" {
		return store.Class{}, fmt.Errorf("join code: %w", store.ErrNotFound)
	}
	return s.store.ClassByCode(ctx, code)
}

// enroll stores the new learner unless the class already holds
// --max-learners, in class.
func (s *Server) enroll(c echo.Context, id, name, class string) (full bool, err error) {
	return s.enrollWith(c, func(ctx context.Context) error {
		_, err := s.store.EnsureLearnerInClass(ctx, id, name, class)
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

// CleanName trims a typed name and folds runs of spaces into one.
func CleanName(name string) string { return strings.Join(strings.Fields(name), " ") }

// CheckName returns what is wrong with a display name (a learner's, an
// instructor's), or "".
func CheckName(name string) string {
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
