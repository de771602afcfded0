package server

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

// A site's resources and solutions are libraries: a page listing them with
// their covers, grouped by the folders they are in, and a page for each.
// Programs, their units and events, and the welcome texts' files are served
// the same way, by the address the catalog gives each page (Catalog.PageAt).

type shelf struct {
	Title string
	Pages []*content.Page
}

type libraryPage struct {
	page
	Title, Intro string
	Shelves      []shelf
	Programs     []*content.Program
}

type sitePage struct {
	page
	Page       *content.Page
	Program    *content.Program // the program of a unit or event, or the program itself
	Unit       *content.Unit    // the page as a unit, when it is one
	Section    string           // "Resources", "Solutions", "Programs"
	SectionURL string           // "/resources", …
}

// libraryShow lists /resources or /solutions.
func (s *Server) libraryShow(c echo.Context) error {
	cat := s.courses.Catalog()
	kind := strings.Trim(c.Path(), "/")
	return s.renderShared(c, cat, "library\x00"+kind, "library", nil, func() any {
		d := libraryPage{page: s.page()}
		pages := cat.Resources
		d.Title, d.Intro = "Resources", "Reference pages: boards, sensors, tools."
		if kind == "solutions" {
			pages = cat.Solutions
			d.Title, d.Intro = "Solutions", "Complete projects, from the field to the cloud."
		}
		for _, p := range pages {
			title := strings.Join(p.Path, " · ")
			if n := len(d.Shelves); n == 0 || d.Shelves[n-1].Title != title {
				d.Shelves = append(d.Shelves, shelf{Title: title})
			}
			d.Shelves[len(d.Shelves)-1].Pages = append(d.Shelves[len(d.Shelves)-1].Pages, p)
		}
		return d
	})
}

// programsShow lists /programs.
func (s *Server) programsShow(c echo.Context) error {
	cat := s.courses.Catalog()
	return s.renderShared(c, cat, "programs", "library", nil, func() any {
		return libraryPage{page: s.page(), Title: "Programs", Intro: "Learning paths: units in order, on a schedule, with events.", Programs: cat.Programs}
	})
}

// sitePageShow serves a page of a site section (a resource, a solution, a
// program, a unit, an event), or a file of its folder.
func (s *Server) sitePageShow(c echo.Context) error {
	cat := s.courses.Catalog()
	p, file := cat.PageAt(c.Request().URL.EscapedPath())
	if p == nil {
		return notFound("There is no page at this address.")
	}
	if file != "" {
		name, err := url.PathUnescape(file)
		if err != nil || p.Files == nil || !content.IsAsset(name) {
			return notFound("There is no file %q here.", file)
		}
		return serveAsset(c, p.Files, name, "There is no file %q here.")
	}
	if p.Kind == content.KindWelcome {
		return c.Redirect(303, "/")
	}
	return s.renderShared(c, cat, "page\x00"+p.URL, "page", nil, func() any {
		d := sitePage{page: s.page(), Page: p}
		switch p.Kind {
		case content.KindResource:
			d.Section, d.SectionURL = "Resources", "/resources"
		case content.KindSolution:
			d.Section, d.SectionURL = "Solutions", "/solutions"
		default:
			d.Section, d.SectionURL = "Programs", "/programs"
			for _, prog := range cat.Programs {
				if prog.Page == p || strings.HasPrefix(p.URL, prog.URL+"/") {
					d.Program = prog
				}
				for _, u := range prog.Units {
					if u.Page == p {
						d.Unit = u
					}
				}
			}
		}
		return d
	})
}
