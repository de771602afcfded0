package server

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

type joinPage struct {
	page
	Name  string
	Next  string
	Error string
}

// joinShow is the classroom's front door: a name, nothing else.
func (s *Server) joinShow(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if _, ok := s.learnerID(c); ok {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "join", joinPage{page: s.page(), Next: safeNext(c.QueryParam("next"))})
}

// joinSave creates the learner and sets their signed session cookie.
func (s *Server) joinSave(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	next := safeNext(c.FormValue("next"))
	if msg := checkName(name); msg != "" {
		return s.render(c, http.StatusBadRequest, "join", joinPage{page: s.page(), Name: name, Next: next, Error: msg})
	}
	id := newLearnerID(name)
	if _, err := s.store.EnsureLearner(c.Request().Context(), id, name); err != nil {
		return err
	}
	setCookie(c, learnerCookie, s.cookies.Sign(id), cookieMaxAge)
	s.log.Info("learner joined", "learner", id)
	s.notifyClass()
	return c.Redirect(http.StatusSeeOther, next)
}

// checkName returns what is wrong with a display name, or "".
func checkName(name string) string {
	switch {
	case name == "":
		return "Enter your name, so your instructor knows whose progress this is."
	case utf8.RuneCountInString(name) > 60:
		return "That name is longer than 60 characters; a shorter one will do."
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "Your name contains a character that cannot be shown; type it again."
		}
	}
	return ""
}
