package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/web"
)

// pages holds one parsed template set per page, each joined with the layout.
type pages struct {
	byName map[string]*template.Template
}

func loadPages(a *assets) (*pages, error) {
	funcs := template.FuncMap{
		"static": a.url,
		"inc":    func(i int) int { return i + 1 },
		"dec":    func(i int) int { return i - 1 },
		"slot":   func(kind, key string) template.HTML { return template.HTML(slotMarker(kind, key)) },
	}
	// Parts (templates/parts/*.html) are pieces several pages include.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(web.Files, "templates/layout.html", "templates/parts/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(web.Files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(web.Files, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		p.byName[name] = t
	}
	return p, nil
}

// page is what every template needs besides its own data.
type page struct {
	Mode string // "personal" or "classroom", shown in the top bar
	// SSO names the school's sign-in provider on the join page, when
	// single sign-on is on; SSOInstructors offers it on the instructor's
	// sign-in page too.
	SSO            string
	SSOInstructors bool
}

func (s *Server) page() page {
	p := page{Mode: s.mode()}
	if s.sso != nil {
		p.SSO, p.SSOInstructors = s.sso.Name(), s.sso.SignsInInstructors()
	}
	return p
}

// render executes a page and sends it.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	b, err := s.execute(name, data)
	if err != nil {
		return err
	}
	if name == "join" && s.sso != nil {
		allowFormsTo(c, s.sso.FormTargets())
	}
	return s.writePage(c, status, b)
}

// execute renders a page into a buffer first, so that a template error
// becomes a clean 500 instead of half a page.
func (s *Server) execute(name string, data any) ([]byte, error) {
	t, ok := s.pages.byName[name]
	if !ok {
		return nil, fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// executePart renders one named template of a page's set (a fragment sent
// over Server-Sent Events, say).
func (s *Server) executePart(page, part string, data any) (string, error) {
	t, ok := s.pages.byName[page]
	if !ok {
		return "", fmt.Errorf("no page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, part, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", page, part, err)
	}
	return buf.String(), nil
}

func (s *Server) writePage(c echo.Context, status int, page []byte) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(status, page)
}

type errorPage struct {
	page
	Status  int
	Heading string
	Message string
}
