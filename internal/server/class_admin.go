package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
)

// classesPage lists the classes, with their codes, for the instructor.
type classesPage struct {
	page
	Classes []store.Class
	Saved   string // the class just created or saved
}

// classEditPage is the form that creates or edits a class.
type classEditPage struct {
	page
	Class    store.Class
	New      bool
	Courses  []*content.Course // every course of the catalog, to choose from
	JoinLink string            // the absolute join link with the code
	JoinQR   template.HTML
	Error    string // what is wrong with the name
	CodeErr  string // what is wrong with the code
}

// Chosen tells whether the form shows course as taken by the class.
func (p classEditPage) Chosen(course string) bool {
	for _, id := range p.Class.Courses {
		if id == course {
			return true
		}
	}
	return false
}

// classesShow lists every class.
func (s *Server) classesShow(c echo.Context) error {
	classes, err := s.store.Classes(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "classes", classesPage{page: s.page(), Classes: classes, Saved: c.QueryParam("saved")})
}

// classNew shows the form for a new class, with a code made up for it.
func (s *Server) classNew(c echo.Context) error {
	return s.renderClassForm(c, http.StatusOK, classEditPage{New: true, Class: store.Class{Code: newJoinCode(), Open: true}})
}

// classEdit shows the form of an existing class.
func (s *Server) classEdit(c echo.Context) error {
	class, err := s.classParam(c)
	if err != nil {
		return err
	}
	return s.renderClassForm(c, http.StatusOK, classEditPage{Class: class})
}

// classCreate stores a new class from the form.
func (s *Server) classCreate(c echo.Context) error {
	return s.classSave(c, store.Class{}, true)
}

// classUpdate stores the form over an existing class.
func (s *Server) classUpdate(c echo.Context) error {
	class, err := s.classParam(c)
	if err != nil {
		return err
	}
	return s.classSave(c, class, false)
}

// classSave validates the form and stores it; a mistake shows the form
// again with what was typed and what is wrong, nothing stored.
func (s *Server) classSave(c echo.Context, class store.Class, isNew bool) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	class.Name = cleanName(form.Get("name"))
	class.Open = form.Get("open") == "1"
	class.Courses = nil
	cat := s.courses.Catalog()
	for _, id := range form["course"] {
		if cat.Course(id) != nil {
			class.Courses = append(class.Courses, id)
		}
	}
	p := classEditPage{Class: class, New: isNew, Error: checkClassName(class.Name)}
	if !class.IsDefault() {
		p.Class.Code = cleanCode(form.Get("code"))
		p.CodeErr = checkCode(p.Class.Code)
	}
	if p.Error != "" || p.CodeErr != "" {
		if !utf8.ValidString(p.Class.Name) {
			p.Class.Name = ""
		}
		if !utf8.ValidString(p.Class.Code) {
			p.Class.Code = ""
		}
		return s.renderClassForm(c, http.StatusBadRequest, p)
	}
	ctx := c.Request().Context()
	if isNew {
		var created store.Class
		if created, err = s.store.CreateClass(ctx, p.Class); err == nil {
			p.Class = created
		}
	} else {
		err = s.store.UpdateClass(ctx, p.Class)
	}
	if errors.Is(err, store.ErrCodeTaken) {
		p.CodeErr = fmt.Sprintf("Another class already has the code %s. Choose another one (or keep the one suggested).", p.Class.Code)
		if isNew {
			p.Class.Code = newJoinCode()
		}
		return s.renderClassForm(c, http.StatusConflict, p)
	}
	if err != nil {
		return err
	}
	s.log.Info("class saved", "class", p.Class.ID, "new", isNew, "open", p.Class.Open)
	return c.Redirect(http.StatusSeeOther, "/teach/classes?saved="+url.QueryEscape(p.Class.ID))
}

// renderClassForm fills in what every class form shows.
func (s *Server) renderClassForm(c echo.Context, status int, p classEditPage) error {
	p.page = s.page()
	p.Courses = s.courses.Catalog().Courses
	if p.Class.Code != "" && !p.New {
		p.JoinLink = siteURL(c, "/join?code="+url.QueryEscape(p.Class.Code))
		qr, err := qrSVG(p.JoinLink, "QR code of the class's join link")
		if err != nil {
			return err
		}
		p.JoinQR = qr
	}
	return s.render(c, status, "class_edit", p)
}

// classParam reads the class the address names.
func (s *Server) classParam(c echo.Context) (store.Class, error) {
	id := c.Param("class")
	class, err := s.store.Class(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Class{}, notFound("There is no class %q. Open /teach/classes to see your classes.", id)
	}
	return class, err
}

// Join codes: what a learner types, read aloud in a classroom. Letters are
// compared upper-cased and spaces are ignored, so "mon 42" is MON42.
const (
	minCodeLen = 4
	maxCodeLen = 20
	// codeAlphabet is what made-up codes use: no 0/O or 1/I/L to confuse.
	codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
)

// cleanCode normalises a typed join code.
func cleanCode(code string) string {
	return strings.ToUpper(strings.Join(strings.Fields(code), ""))
}

// checkCode returns what is wrong with a cleaned join code, or "".
func checkCode(code string) string {
	if n := utf8.RuneCountInString(code); n < minCodeLen || n > maxCodeLen {
		return fmt.Sprintf("A join code has %d to %d letters or digits (a dash is allowed too).", minCodeLen, maxCodeLen)
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return "A join code has only letters A to Z, digits and dashes, so that everyone can type it."
		}
	}
	return ""
}

// checkClassName returns what is wrong with a class's name, or "".
func checkClassName(name string) string {
	switch {
	case name == "":
		return "Give the class a name, so you and your learners can tell it from the others."
	case !utf8.ValidString(name):
		return "The name arrived garbled (it is not valid text); type it again."
	case utf8.RuneCountInString(name) > maxNameRunes:
		return fmt.Sprintf("That name is longer than %d characters; a shorter one will do.", maxNameRunes)
	}
	return ""
}

// newJoinCode makes up a code of six characters: about 30 bits, and joins
// are throttled per address, so guessing one is out of reach.
func newJoinCode() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// siteURL is the absolute address of path on this server, as the request
// reached it.
func siteURL(c echo.Context, path string) string {
	scheme := "http"
	if c.Scheme() == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + path
}
