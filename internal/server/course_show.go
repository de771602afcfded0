package server

import (
	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type coursePage struct {
	page
	Course *content.Course
}

// course finds the course named in the URL or returns the 404 error.
func (s *Server) course(c echo.Context, cat *content.Catalog) (*content.Course, error) {
	id := c.Param("course")
	course := cat.Course(id)
	if course == nil {
		return nil, notFound("There is no course %q. The catalog lists the courses there are.", id)
	}
	return course, nil
}

// courseShow is a course's overview: its description and its sections.
func (s *Server) courseShow(c echo.Context) error {
	cat := s.courses.Catalog()
	course, err := s.course(c, cat)
	if err != nil {
		return err
	}
	if len(course.Sections) == 0 {
		return notFound("The course %q has no sections yet.", course.Title)
	}
	slots := s.viewerSlots(c, course)
	return s.renderShared(c, cat, "course\x00"+course.ID, "course", slots, func() any {
		return coursePage{page: s.page(), Course: course}
	})
}
