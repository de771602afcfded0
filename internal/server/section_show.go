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

	// ExampleDevice and ExampleSensor name the course's own first device
	// and sensor, so the console's ready-to-paste lines and placeholders
	// fit the course being read (ESPDEVICE/TC when it sets up none).
	ExampleDevice, ExampleSensor string
}

// exampleTopic returns the first device of the course's lab set-up and
// that device's first sensor.
func (s *Server) exampleTopic(cat *content.Catalog, course *content.Course) (device, sensor string) {
	device, sensor = "ESPDEVICE", "TC"
	_, byCourse := s.labSetup(cat)
	setup, ok := byCourse[course.ID]
	if !ok || len(setup.Devices) == 0 {
		return device, sensor
	}
	d := setup.Devices[0]
	device = d.ID
	if len(d.Sensors) > 0 {
		sensor = d.Sensors[0].ID
	}
	return device, sensor
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
	// Opening the page does not mark it read (a prefetch or a curl would):
	// the page's script reports a read once it was shown long enough.
	learner, _ := s.learnerID(c)
	s.touchLab(cat, course, learner)
	slots := s.viewerSlots(c, course)
	data := func() sectionPage {
		d := sectionPage{page: s.page(), Course: course, Section: sec, HTML: sec.HTML}
		d.ExampleDevice, d.ExampleSensor = s.exampleTopic(cat, course)
		if sec.Index > 0 {
			d.Prev = course.Sections[sec.Index-1]
		}
		if sec.Index+1 < len(course.Sections) {
			d.Next = course.Sections[sec.Index+1]
		}
		return d
	}
	// A course an instructor must hear about is rendered for this request.
	// Every other section page is cached: once for everyone, or, when it
	// shows lab details, once per set of details (per host in personal
	// mode, per learner in a classroom).
	key := "section\x00" + course.ID + "\x00" + sec.Slug
	if sec.HasPlaceholders {
		key += "\x00" + s.labValuesKey(c, learner)
	}
	withValues := func() sectionPage {
		d := data()
		if sec.HasPlaceholders {
			d.HTML = sec.HTMLFor(s.labValues(c, learner))
		}
		return d
	}
	if stale := cat.Stale[course.ID]; len(stale) > 0 && s.seesAuthoringErrors(c) {
		d := withValues()
		d.Stale = stale
		b, err := s.execute("section", d)
		if err != nil {
			return err
		}
		return s.writePage(c, http.StatusOK, fillSlots(b, slots))
	}
	return s.renderShared(c, cat, key, "section", slots, func() any { return withValues() })
}

// labValuesKey names, in a page cache key, everything labValues depends
// on: the learner (their credentials), the host name and the scheme the
// request came by (the URLs). The values themselves (two HMACs and a map)
// are computed only when the page is rendered.
func (s *Server) labValuesKey(c echo.Context, learner string) string {
	scheme := "http"
	if c.Scheme() == "https" {
		scheme = "https"
	}
	return learner + "\x00" + c.Request().Host + "\x00" + scheme
}

// courseFileShow serves a file from the course folder. The course's Markdown
// is never served: it holds the quizzes' right answers.
func (s *Server) courseFileShow(c echo.Context, course *content.Course, name string) error {
	name = strings.TrimPrefix(name, "./")
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, "\\") {
		return notFound("There is no file %q in this course.", name)
	}
	// Only files of asset types: an editor's index.md~ holds the answers.
	if !content.IsAsset(name) {
		return notFound("There is no file %q in this course.", name)
	}
	return serveAsset(c, course.Files, name, "There is no file %q in this course.")
}

// serveAsset serves one asset file of a content folder. A file the folder
// cannot open (missing, or a symbolic link leading out of the folder) is not
// found; notFoundFormat says so with the name.
func serveAsset(c echo.Context, files fs.FS, name, notFoundFormat string) error {
	f, err := files.Open(name)
	if err != nil {
		// Any path error (missing, or a link out of the folder: os.Root
		// refuses it) means there is nothing to serve at that name.
		var pe *fs.PathError
		if errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return notFound(notFoundFormat, name)
		}
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return notFound(notFoundFormat, name)
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
