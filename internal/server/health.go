package server

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthTimeout bounds the database check, so a hung database fails the
// health check instead of hanging it.
const healthTimeout = 2 * time.Second

// healthShow answers the container's and HAProxy's health checks: the
// process serves HTTP, has a catalog, and its database answers. A node
// whose database is gone answers 503, so HAProxy sends its learners to
// nodes that can record their progress.
func (s *Server) healthShow(c echo.Context) error {
	cat := s.courses.Catalog()
	ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health check: database does not answer", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "database unavailable", "courses": len(cat.Courses)})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "courses": len(cat.Courses)})
}
