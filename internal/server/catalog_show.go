package server

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type catalogGroup struct {
	Key         string // for the heading's id
	Title       string
	Description string
	URL         string        // the category's own page, "" for courses outside any
	Intro       template.HTML // the category's introduction, when it has no description
	Courses     []*content.Course
}

// siteSection is a link to one of a site's other sections.
type siteSection struct {
	Title, URL string
	Count      int
}

type catalogPage struct {
	page
	Welcome  []*content.Page
	Sections []siteSection
	Groups   []catalogGroup
}

// catalogShow is the home page: every published course, grouped by category.
func (s *Server) catalogShow(c echo.Context) error {
	cat := s.courses.Catalog()
	slots := s.viewerSlots(c, cat.Courses...)
	return s.renderShared(c, cat, "catalog", "catalog", slots, func() any { return s.catalogData(cat) })
}

func (s *Server) catalogData(cat *content.Catalog) catalogPage {
	data := catalogPage{page: s.page(), Welcome: cat.Welcome}
	for _, sec := range []siteSection{{"Programs", "/programs", len(cat.Programs)}, {"Resources", "/resources", len(cat.Resources)}, {"Solutions", "/solutions", len(cat.Solutions)}} {
		if sec.Count > 0 {
			data.Sections = append(data.Sections, sec)
		}
	}
	for i, g := range cat.Groups {
		title := strings.Join(g.Path, " · ")
		if g.Title != "" && len(g.Path) == 0 {
			title = g.Title
		}
		key := "root"
		if i > 0 || title != "" {
			key = "group-" + strconv.Itoa(i)
		}
		cg := catalogGroup{Key: key, Title: title, Description: g.Description, URL: g.URL, Courses: g.Courses}
		if cg.Description == "" {
			cg.Intro = g.Intro
		}
		data.Groups = append(data.Groups, cg)
	}
	return data
}
