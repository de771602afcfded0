package server

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type catalogGroup struct {
	Key         string // for the heading's id
	Title       string
	Description string
	Courses     []*content.Course
}

type catalogPage struct {
	page
	Groups []catalogGroup
}

// catalogShow is the home page: every published course, grouped by category.
func (s *Server) catalogShow(c echo.Context) error {
	cat := s.courses.Catalog()
	slots := s.viewerSlots(c, cat.Courses...)
	return s.renderShared(c, cat, "catalog", "catalog", slots, func() any { return s.catalogData(cat) })
}

func (s *Server) catalogData(cat *content.Catalog) catalogPage {
	data := catalogPage{page: s.page()}
	for i, g := range cat.Groups {
		title := strings.Join(g.Path, " · ")
		if g.Title != "" && len(g.Path) == 0 {
			title = g.Title
		}
		key := "root"
		if i > 0 || title != "" {
			key = "group-" + strconv.Itoa(i)
		}
		data.Groups = append(data.Groups, catalogGroup{Key: key, Title: title, Description: g.Description, Courses: g.Courses})
	}
	return data
}
