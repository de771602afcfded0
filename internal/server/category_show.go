package server

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type categoryPage struct {
	page
	Category *content.Group
	// Parents are the categories above it, from the root; Children the
	// categories right below it.
	Parents, Children []*content.Group
}

// categoryShow is a category's own page (/categories/{id}): its
// introduction, its sub-categories and its courses; below it, the files of
// the category's folder (the introduction's images).
func (s *Server) categoryShow(c echo.Context) error {
	cat := s.courses.Catalog()
	rest := strings.Trim(c.Param("*"), "/")
	id, file := rest, ""
	for g := cat.Category(id); g == nil; g = cat.Category(id) {
		i := strings.LastIndexByte(id, '/')
		if i < 0 {
			return notFound("There is no category %q. The catalog lists the categories there are.", rest)
		}
		id, file = id[:i], strings.TrimPrefix(rest[i:], "/")
	}
	g := cat.Category(id)
	if file != "" {
		if g.Files == nil || !content.IsAsset(file) {
			return notFound("There is no file %q in this category.", file)
		}
		return serveAsset(c, g.Files, file, "There is no file %q in this category.")
	}
	slots := s.viewerSlots(c, g.Courses...)
	return s.renderShared(c, cat, "category\x00"+g.ID, "category", slots, func() any {
		d := categoryPage{page: s.page(), Category: g}
		for _, o := range cat.Categories {
			switch {
			case strings.HasPrefix(g.ID, o.ID+"/"):
				d.Parents = append(d.Parents, o)
			case strings.HasPrefix(o.ID, g.ID+"/") && !strings.Contains(o.ID[len(g.ID)+1:], "/"):
				d.Children = append(d.Children, o)
			}
		}
		return d
	})
}
