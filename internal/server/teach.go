package server

import (
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
)

type teachLoginPage struct {
	page
	Error string
}

type teachLearner struct {
	store.Learner
	Clients int
	Sandbox bool
}

type teachPage struct {
	page
	Learners []teachLearner
}

// isInstructor reports whether the request carries the instructor cookie.
func (s *Server) isInstructor(c echo.Context) bool {
	ck, err := c.Cookie(instructorCookie)
	if err != nil {
		return false
	}
	v, ok := s.instructor.Verify(ck.Value)
	return ok && v == "instructor"
}

// requireInstructor refuses anyone without the instructor cookie: the API
// gets a 401 JSON error, a person gets the token form.
func (s *Server) requireInstructor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.isInstructor(c) {
			return next(c)
		}
		if tok := c.QueryParam("token"); tok != "" && s.tokenMatches(tok) {
			setCookie(c, instructorCookie, s.instructor.Sign("instructor"), 12*time.Hour)
			return c.Redirect(http.StatusSeeOther, c.Request().URL.Path)
		}
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page()})
	}
}

func (s *Server) tokenMatches(tok string) bool {
	return s.cfg.InstructorToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.InstructorToken)) == 1
}

// teachLogin exchanges the instructor token for a cookie.
func (s *Server) teachLogin(c echo.Context) error {
	if !s.tokenMatches(c.FormValue("token")) {
		s.log.Warn("instructor login refused", "remote", c.RealIP())
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page(), Error: "That is not the instructor token. It was printed when courselab started the first time, and is kept in the data folder (instructor-token)."})
	}
	setCookie(c, instructorCookie, s.instructor.Sign("instructor"), 12*time.Hour)
	return c.Redirect(http.StatusSeeOther, "/teach")
}

// teachShow is the instructor's view of the class.
func (s *Server) teachShow(c echo.Context) error {
	learners, err := s.store.Learners(c.Request().Context())
	if err != nil {
		return err
	}
	data := teachPage{page: s.page()}
	for _, l := range learners {
		tl := teachLearner{Learner: l}
		if sb := s.labs.Lookup(l.ID); sb != nil {
			tl.Sandbox = true
			tl.Clients = sb.Connected()
		}
		data.Learners = append(data.Learners, tl)
	}
	return s.render(c, http.StatusOK, "teach", data)
}
