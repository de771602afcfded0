package server

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route of the server in one place.
func (s *Server) routes() {
	e := s.echo
	e.Use(middleware.Recover())
	e.Use(s.logRequests())
	e.Use(securityHeaders)

	e.GET("/healthz", s.healthShow)
	e.GET("/static/*", s.staticShow)

	e.GET("/", s.catalogShow)
	e.GET("/courses/:course", s.courseShow)
	e.GET("/courses/:course/*", s.courseFileOrSection)

	e.RouteNotFound("/*", func(c echo.Context) error { return notFound("There is no page at this address.") })
}
