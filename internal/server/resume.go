package server

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/courselab/courselab/internal/store"
)

// resumePage shows a learner's resume link (to them or to the instructor),
// or asks whoever opened one whether to continue as that learner.
type resumePage struct {
	page
	Name       string        // whose link it is
	Link       string        // the absolute resume link
	QR         template.HTML // the link as an SVG QR code
	Token      string        // set on the "continue as" page
	Instructor bool          // the instructor is showing it
	Reissued   bool          // a new link was just made; the old one is dead
	Learner    string        // the learner's id, for the instructor's reissue form
	Error      string        // the link does not work
}

// resumeLink is the absolute address of a resume token on this server, as
// the request reached it.
func resumeLink(c echo.Context, token string) string { return siteURL(c, "/resume/"+token) }

// qrSVG draws text as a QR code in SVG: one path of dark modules, scaled
// by the page, no image library needed. label says what it is to a screen
// reader.
func qrSVG(text, label string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bits := q.Bitmap() // with the quiet zone
	var p strings.Builder
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&p, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	n := len(bits)
	return template.HTML(fmt.Sprintf(`<svg class="qr" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, n, n, template.HTMLEscapeString(label), n, n, p.String())), nil
}

// showResume renders learner's resume link page.
func (s *Server) showResume(c echo.Context, l store.Learner, token string, data resumePage) error {
	data.page, data.Name, data.Learner = s.page(), l.Name, l.ID
	data.Link = resumeLink(c, token)
	qr, err := qrSVG(data.Link, "QR code of the resume link")
	if err != nil {
		return err
	}
	data.QR = qr
	return s.render(c, http.StatusOK, "resume", data)
}

// resumeMine shows the learner their own resume link.
func (s *Server) resumeMine(c echo.Context) error {
	id, _ := s.learnerID(c)
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	ctx := c.Request().Context()
	l, err := s.store.Learner(ctx, id)
	if err != nil {
		return err
	}
	token, err := s.store.ResumeLink(ctx, id)
	if err != nil {
		return err
	}
	return s.showResume(c, l, token, resumePage{})
}

// resumeDead is the page for a link that does not (or no longer) work.
func (s *Server) resumeDead(c echo.Context) error {
	return s.render(c, http.StatusNotFound, "resume", resumePage{page: s.page(),
		Error: "This resume link does not work: it was replaced by a newer one, or it was copied incompletely. Ask your instructor to show you your current link, or join again with a new name."})
}

// resumeAsk asks whoever opened a resume link whether to continue as that
// learner on this device. Opening the link changes nothing: the button
// posts, so a link preview or another site cannot sign anyone in.
func (s *Server) resumeAsk(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	token := c.Param("token")
	l, err := s.store.LearnerByResumeLink(c.Request().Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		return s.resumeDead(c)
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "resume", resumePage{page: s.page(), Name: l.Name, Token: token})
}

// resumeSave signs this device in as the link's learner.
func (s *Server) resumeSave(c echo.Context) error {
	if !s.cfg.Classroom {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	l, err := s.store.LearnerByResumeLink(c.Request().Context(), c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return s.resumeDead(c)
	}
	if err != nil {
		return err
	}
	setCookie(c, learnerCookie, s.cookies.Sign(l.ID), cookieMaxAge)
	s.log.Info("learner resumed on another device", "learner", l.ID)
	return c.Redirect(http.StatusSeeOther, "/progress")
}

// teachResumeShow shows the instructor a learner's current resume link.
func (s *Server) teachResumeShow(c echo.Context) error {
	return s.teachResume(c, false)
}

// teachResumeReissue replaces a learner's resume link; the old one stops
// working.
func (s *Server) teachResumeReissue(c echo.Context) error {
	return s.teachResume(c, true)
}

func (s *Server) teachResume(c echo.Context, reissue bool) error {
	ctx := c.Request().Context()
	id := c.Param("learner")
	l, err := s.store.Learner(ctx, id)
	if err != nil {
		return notFound("There is no learner %q.", id)
	}
	var token string
	if reissue {
		token, err = s.store.IssueResumeLink(ctx, id)
		s.log.Info("resume link reissued by instructor", "learner", id)
	} else {
		token, err = s.store.ResumeLink(ctx, id)
	}
	if err != nil {
		return err
	}
	return s.showResume(c, l, token, resumePage{Instructor: true, Reissued: reissue})
}
