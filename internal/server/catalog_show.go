package server

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
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

// catalogShow is the home page: every published course, grouped by
// category; the courses of the learner's class first, when it names some.
// The page is shared by every learner of the same class.
func (s *Server) catalogShow(c echo.Context) error {
	cat := s.courses.Catalog()
	slots := s.viewerSlots(c, cat.Courses...)
	class := s.learnerClass(c)
	key := "catalog"
	if len(class.Courses) > 0 {
		key = "catalog\x00" + class.Name + "\x00" + strings.Join(class.Courses, "\x00")
	}
	return s.renderShared(c, cat, key, "catalog", slots, func() any { return s.catalogData(cat, class) })
}

// catalogData lays out the catalog. The courses class takes come first,
// as a group of their own, and are not repeated under their categories:
// the others stay open to the learner, after them.
func (s *Server) catalogData(cat *content.Catalog, class store.Class) catalogPage {
	data := catalogPage{page: s.page(), Welcome: cat.Welcome}
	for _, sec := range []siteSection{{"Programs", "/programs", len(cat.Programs)}, {"Resources", "/resources", len(cat.Resources)}, {"Solutions", "/solutions", len(cat.Solutions)}} {
		if sec.Count > 0 {
			data.Sections = append(data.Sections, sec)
		}
	}
	if len(class.Courses) > 0 {
		g := catalogGroup{Key: "class", Title: "Your class: " + class.Name}
		for _, course := range cat.Courses {
			if class.Takes(course.ID) {
				g.Courses = append(g.Courses, course)
			}
		}
		data.Groups = append(data.Groups, g)
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
		if len(class.Courses) > 0 {
			cg.Courses = nil
			for _, course := range g.Courses {
				if !class.Takes(course.ID) {
					cg.Courses = append(cg.Courses, course)
				}
			}
			if cg.Title == "" {
				cg.Title = "Other courses"
			}
		}
		if cg.Description == "" {
			cg.Intro = g.Intro
		}
		data.Groups = append(data.Groups, cg)
	}
	return data
}
