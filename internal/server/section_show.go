package server

import (
	"errors"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

type sectionPage struct {
	page
	Course     *content.Course
	Section    *content.Section
	HTML       template.HTML // the section's text, with this learner's lab details when it has placeholders
	Prev, Next *content.Section
	Stale      []content.Problem // why the course shows its last good version (instructors only)
}

// courseFileOrSection serves /courses/{id}/{rest}: a section when rest is a
// section slug, otherwise a file of the course folder (images, downloads).
// Slugs never contain a dot or a slash; file names do.
func (s *Server) courseFileOrSection(c echo.Context) error {
	cat := s.courses.Catalog()
	course, err := s.course(c, cat)
	if err != nil {
		return err
	}
	rest := c.Param("*")
	if rest != "" && !strings.ContainsAny(rest, "./") {
		return s.sectionShow(c, cat, course, rest)
	}
	return s.courseFileShow(c, course, rest)
}

func (s *Server) sectionShow(c echo.Context, cat *content.Catalog, course *content.Course, slug string) error {
	sec := course.Section(slug)
	if sec == nil {
		return notFound("The course %q has no section %q.", course.Title, slug)
	}
	learner, _ := s.learnerID(c)
	s.touchLab(cat, course, learner)
	if err := s.markRead(c.Request().Context(), learner, course, sec); err != nil {
		s.log.Error("progress not saved", "learner", learner, "err", err)
	}
	slots := s.viewerSlots(c, course)
	data := func() sectionPage {
		d := sectionPage{page: s.page(), Course: course, Section: sec, HTML: sec.HTML}
		if sec.Index > 0 {
			d.Prev = course.Sections[sec.Index-1]
		}
		if sec.Index+1 < len(course.Sections) {
			d.Next = course.Sections[sec.Index+1]
		}
		return d
	}
	// A section that shows the learner's own connection details, or a
	// course an instructor must hear about, is rendered for this request;
	// every other section page is the same for everyone and cached.
	stale := cat.Stale[course.ID]
	if sec.HasPlaceholders || (len(stale) > 0 && s.seesAuthoringErrors(c)) {
		d := data()
		if sec.HasPlaceholders {
			d.HTML = sec.HTMLFor(s.labValues(c, learner))
		}
		if s.seesAuthoringErrors(c) {
			d.Stale = stale
		}
		b, err := s.execute("section", d)
		if err != nil {
			return err
		}
		return s.writePage(c, http.StatusOK, fillSlots(b, slots))
	}
	return s.renderShared(c, cat, "section\x00"+course.ID+"\x00"+sec.Slug, "section", slots, func() any { return data() })
}

// courseFileShow serves a file from the course folder. The course's Markdown
// is never served: it holds the quizzes' right answers.
func (s *Server) courseFileShow(c echo.Context, course *content.Course, name string) error {
	name = strings.TrimPrefix(name, "./")
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, "\\") {
		return notFound("There is no file %q in this course.", name)
	}
	if strings.EqualFold(path.Ext(name), ".md") || hiddenName(name) {
		return notFound("There is no file %q in this course.", name)
	}
	f, err := course.Files.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return notFound("There is no file %q in this course.", name)
		}
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return notFound("There is no file %q in this course.", name)
	}
	h := c.Response().Header()
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	// An SVG opened on its own is a document: let it draw, never run script.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "public, max-age=300")
	if rs, ok := f.(io.ReadSeeker); ok {
		http.ServeContent(c.Response(), c.Request(), name, st.ModTime(), rs)
		return nil
	}
	return c.Stream(http.StatusOK, ct, f)
}

// hiddenName reports whether any element of the path starts with a dot, such
// as .git or .DS_Store: those are never course material.
func hiddenName(name string) bool {
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") {
			return true
		}
	}
	return false
}
