package server

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

// searchLimit is the most hits one search page shows.
const searchLimit = 30

// searchQueryLimit bounds the query a learner may send: a longer one is cut.
const searchQueryLimit = 200

type searchPage struct {
	page
	Query string
	Hits  []content.SearchHit
}

// searchShow is GET /search?q=…: a plain form and its results, which works
// without JavaScript.
func (s *Server) searchShow(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > searchQueryLimit {
		q = q[:searchQueryLimit]
	}
	cat := s.courses.Catalog()
	d := searchPage{page: s.page(), Query: q}
	if q != "" {
		d.Hits = cat.Search(q, searchLimit)
	}
	return s.render(c, 200, "search", d)
}
