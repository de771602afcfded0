package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

const (
	learnerCookie    = "courselab_learner"
	instructorCookie = "courselab_instructor"
	cookieMaxAge     = 90 * 24 * time.Hour
)

// learnerID returns who is asking: in personal mode always the one personal
// learner; in classroom mode the learner in the signed cookie, or for API
// calls the owner of the lab bearer token.
func (s *Server) learnerID(c echo.Context) (string, bool) {
	if !s.cfg.Classroom {
		return labs.PersonalLearner, true
	}
	if ck, err := c.Cookie(learnerCookie); err == nil {
		if id, ok := s.cookies.Verify(ck.Value); ok {
			return id, true
		}
	}
	if tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer "); ok && tok != "" {
		if id, ok := s.labs.LearnerByToken(strings.TrimSpace(tok)); ok {
			return id, true
		}
	}
	return "", false
}

// requireLearner sends a classroom visitor who has not joined yet to the join
// page (or, for the API, answers 401), and passes everyone else through.
func (s *Server) requireLearner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := s.learnerID(c); ok {
			return next(c)
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return echo.NewHTTPError(http.StatusUnauthorized, "Join the class first (open the course page and enter your name), or send your lab token as 'Authorization: Bearer <token>'.")
		}
		return c.Redirect(http.StatusSeeOther, "/join?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure when the request
// came over HTTPS.
func setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.Scheme() == "https",
		SameSite: http.SameSiteLaxMode,
	})
}

// newLearnerID makes an id that an instructor can read ("ada-lovelace-3f9c")
// and that doubles as the learner's MQTT username.
func newLearnerID(name string) string { return store.ReadableID(name, "learner", 3) }
