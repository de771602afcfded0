package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

// cloudSandbox picks the sandbox a simulated-cloud REST call acts on: the
// personal one, or in classroom mode the owner of the bearer token (the
// session cookie works too, for the lab panel's own calls).
func (s *Server) cloudSandbox(c echo.Context) (*labs.Sandbox, error) {
	all, _ := s.labSetup(s.courses.Catalog())
	if !s.cfg.Classroom {
		return s.labs.Sandbox(labs.PersonalLearner, all)
	}
	auth := c.Request().Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok {
		id, ok := s.labs.LearnerByToken(strings.TrimSpace(tok))
		if !ok {
			return nil, echo.NewHTTPError(http.StatusUnauthorized, "That lab token is not valid. Copy your token from the lab panel (or GET /api/lab) and send it as 'Authorization: Bearer <token>'.")
		}
		return s.labs.Sandbox(id, all)
	}
	if id, ok := s.learnerID(c); ok {
		return s.labs.Sandbox(id, all)
	}
	if auth != "" {
		return nil, echo.NewHTTPError(http.StatusUnauthorized, "Send your lab token as 'Authorization: Bearer <token>'.")
	}
	return nil, echo.NewHTTPError(http.StatusUnauthorized, "This classroom's lab needs your token: add -H \"Authorization: Bearer <token>\" (your token is in the lab panel).")
}
