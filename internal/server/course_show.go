package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type coursePage struct {
	page
	Course *content.Course
}

// course finds the course named in the URL or returns the 404 error.
func (s *Server) course(c echo.Context) (*content.Course, error) {
	id := c.Param("course")
	course := s.courses.Catalog().Course(id)
	if course == nil {
		return nil, notFound("There is no course %q. The catalog lists the courses there are.", id)
	}
	return course, nil
}

// courseShow is a course's overview: its description and its sections.
func (s *Server) courseShow(c echo.Context) error {
	course, err := s.course(c)
	if err != nil {
		return err
	}
	if len(course.Sections) == 0 {
		return notFound("The course %q has no sections yet.", course.Title)
	}
	return s.render(c, http.StatusOK, "course", coursePage{page: s.page(), Course: course})
}
