package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthShow answers the container health check: the process serves HTTP and
// has a catalog.
func (s *Server) healthShow(c echo.Context) error {
	cat := s.courses.Catalog()
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "courses": len(cat.Courses)})
}
