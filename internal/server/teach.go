package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
)

type teachLoginPage struct {
	page
	Error string
}

type teachPage struct {
	page
	Class    classPage
	Current  store.Class   // the class shown
	Classes  []store.Class // every class, for the switcher
	Overview classOverview // where the class is stuck (teach_stuck.go)
	Reset    string        // learner whose lab was just reset
}

// ClassLink is /teach showing class id.
func (teachPage) ClassLink(id string) string { return classView{Class: id, Sort: "joined"}.Link() }

// instructorSessionTTL is how long an instructor's sign-in lasts.
const instructorSessionTTL = 12 * time.Hour

// instructorSession returns the session the request's instructor cookie
// names, and why it does not let them in when it does not: "" for no
// cookie at all, else a sentence for the sign-in page.
func (s *Server) instructorSession(c echo.Context) (store.InstructorSession, bool, string) {
	ck, err := c.Cookie(instructorCookie)
	if err != nil {
		return store.InstructorSession{}, false, ""
	}
	v, ok := s.instructor.Verify(ck.Value)
	id, isSession := strings.CutPrefix(v, "session:")
	if !ok || !isSession {
		return store.InstructorSession{}, false, ""
	}
	is, err := s.store.InstructorSession(c.Request().Context(), id)
	switch {
	case err != nil:
		return is, false, ""
	case is.Revoked:
		return is, false, "Your instructor session was signed out from the sessions page. Sign in again to continue."
	case !is.Active(time.Now()):
		return is, false, "Your instructor session has expired (a sign-in lasts 12 hours). Sign in again to continue."
	}
	return is, true, ""
}

// isInstructor reports whether the request carries an active instructor
// session.
func (s *Server) isInstructor(c echo.Context) bool {
	_, ok, _ := s.instructorSession(c)
	return ok
}

// FirstInstructor is who signs in with --instructor-token, as the
// sessions page names them; the others are named when they are added
// (courselab instructor add NAME).
const FirstInstructor = "first instructor"

// signInInstructor starts a session for who (how they signed in, shown in
// the list of sessions) and sets its cookie.
func (s *Server) signInInstructor(c echo.Context, who string) error {
	is, err := s.store.StartInstructorSession(c.Request().Context(), who, instructorSessionTTL)
	if err != nil {
		return err
	}
	setCookie(c, instructorCookie, s.instructor.Sign("session:"+is.ID), instructorSessionTTL)
	s.log.Info("instructor signed in", "who", who, "session", is.ID, "remote", c.RealIP())
	return nil
}

// seesAuthoringErrors reports whether the person asking should see a
// course's authoring problems: the instructor, or in personal mode the one
// person using this server, who is writing or taking the course alone.
func (s *Server) seesAuthoringErrors(c echo.Context) bool {
	return !s.cfg.Classroom || s.isInstructor(c)
}

// requireInstructor refuses anyone without the instructor cookie: the API
// gets a 401 JSON error, a person gets the token form.
func (s *Server) requireInstructor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, ok, why := s.instructorSession(c)
		if ok {
			return next(c)
		}
		if tok := c.QueryParam("token"); tok != "" && s.tokenTry(c) == 0 {
			who, err := s.tokenOwner(c, tok)
			if err != nil {
				return err
			}
			if who == "" {
				return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page(), Error: wrongToken})
			}
			if err := s.signInInstructor(c, who); err != nil {
				return err
			}
			return c.Redirect(http.StatusSeeOther, localRedirect(c.Request().URL.Path))
		}
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page(), Error: why})
	}
}

// tokenOwner returns who an instructor token belongs to: the first
// instructor for --instructor-token, else the instructor whose personal
// token it is; "" for a token nobody has.
func (s *Server) tokenOwner(c echo.Context, tok string) (string, error) {
	if s.cfg.InstructorToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.InstructorToken)) == 1 {
		return FirstInstructor, nil
	}
	in, err := s.store.InstructorByToken(c.Request().Context(), tok)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return in.Name, nil
}

// wrongToken is what the sign-in page says to a token nobody has.
const wrongToken = "That is not an instructor token. The first one was printed when courselab started the first time, and is kept in the data folder (instructor-token); the others were printed by courselab instructor add."

// Instructor token tries, per address: a few at once (a typo or two), then
// one every tokenTryEvery. The token has 128 random bits; this keeps a
// script from hammering the login and the logs.
const (
	tokenTryBurst = 5
	tokenTryEvery = 10 * time.Second
)

// tokenTry takes one token try for the request's address, or returns how
// long it must wait for one. It is asked before the token is compared, so
// that a throttled guess learns nothing.
func (s *Server) tokenTry(c echo.Context) (wait time.Duration) {
	if ok, wait := s.tokenTries.Allow(c.RealIP()); !ok {
		return max(wait, time.Millisecond)
	}
	return 0
}

// teachLogin exchanges the instructor token for a cookie.
func (s *Server) teachLogin(c echo.Context) error {
	if wait := s.tokenTry(c); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return s.render(c, http.StatusTooManyRequests, "teach_login", teachLoginPage{page: s.page(),
			Error: fmt.Sprintf("Too many tries from your address. Wait %s, then enter the token again. It was printed when courselab started the first time, and is kept in the data folder (instructor-token).", roundWait(wait))})
	}
	who, err := s.tokenOwner(c, c.FormValue("token"))
	if err != nil {
		return err
	}
	if who == "" {
		s.log.Warn("instructor login refused", "remote", c.RealIP())
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page(), Error: wrongToken})
	}
	if err := s.signInInstructor(c, who); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teach")
}

// teachShow is the instructor's view of one class: one page of it, with
// the switcher to the other classes.
func (s *Server) teachShow(c echo.Context) error {
	class, err := s.teachClass(c)
	if err != nil {
		return err
	}
	classes, err := s.store.Classes(c.Request().Context())
	if err != nil {
		return err
	}
	cp, err := s.classPage(c, class, classViewOf(c))
	if err != nil {
		return err
	}
	ov, err := s.classOverview(c, class)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "teach", teachPage{page: s.page(), Class: cp, Current: class, Classes: classes, Overview: ov, Reset: c.QueryParam("reset")})
}

// teachClass is the class a /teach request is about: the one its "class"
// query parameter names, the default class without one. Every view of
// /teach (table, live stream, CSV, and the pages beside them) shows this
// class only.
func (s *Server) teachClass(c echo.Context) (store.Class, error) {
	id := c.QueryParam("class")
	if id == "" {
		id = store.DefaultClass
	}
	class, err := s.store.Class(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Class{}, notFound("There is no class %q. Open /teach/classes to see your classes.", id)
	}
	return class, err
}

// classPage reads the class and shapes the page v of it.
func (s *Server) classPage(c echo.Context, class store.Class, v classView) (classPage, error) {
	progress, err := s.store.ClassProgress(c.Request().Context(), class.ID)
	if err != nil {
		return classPage{}, err
	}
	cp := buildClassPage(buildClassTable(s.courses.Catalog(), class, progress), v, s.clock())
	for i := range cp.Rows {
		cp.Rows[i].Lab = s.labState(cp.Rows[i].ID)
	}
	return cp, nil
}

// labState says in a few words where a learner's sandbox stands. In a
// cluster a sandbox lives on one node, which this one cannot see: it says
// so rather than "no sandbox".
func (s *Server) labState(learner string) string {
	if sb := s.labs.Lookup(learner); sb != nil {
		return fmt.Sprintf("%d MQTT client(s)", sb.Connected())
	}
	if s.store.Shared() {
		return "not on this node"
	}
	return "no sandbox"
}

// learnerRow reads one learner's row of class as the view cols shows it.
func (s *Server) learnerRow(c echo.Context, class store.Class, id string, cols []viewColumn) (viewRow, error) {
	ctx := c.Request().Context()
	l, err := s.store.Learner(ctx, id)
	if err != nil {
		return viewRow{}, err
	}
	progress, err := s.store.Progress(ctx, id)
	if err != nil {
		return viewRow{}, err
	}
	t := buildClassTable(s.courses.Catalog(), class, []store.LearnerProgress{{Learner: l, Courses: progress}})
	row := viewRowOf(t.Rows[0], cols, s.clock())
	row.Lab = s.labState(id)
	return row, nil
}

// teachEvents keeps one page of the class table live (Server-Sent Events).
// It sends the page once ("table"), then for each learner whose progress
// changed and who is on the page only the cells that changed ("cells", a
// few hundred bytes whatever the size of the class). The whole page is
// sent again only when it may hold someone new (it is not full) or when
// changes were lost. A comment every 20 s keeps proxies from closing the
// stream. Each instructor session keeps at most streamsPerPerson streams;
// a newer one ends the oldest with "superseded".
func (s *Server) teachEvents(c echo.Context) error {
	class, err := s.teachClass(c)
	if err != nil {
		return err
	}
	// Each instructor session is a person of its own: several instructors
	// (or one on a laptop and a projector) do not end each other's streams.
	is, _, _ := s.instructorSession(c)
	ctx, release, err := s.streams.open(c.Request().Context(), "instructor:"+is.ID)
	if err != nil {
		return err
	}
	defer release()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sub, stop := s.class.subscribe(class.ID)
	defer stop()
	keepAlive := time.NewTicker(20 * time.Second)
	defer keepAlive.Stop()
	view := classViewOf(c)
	var shown classPage
	rows := map[string]int{} // learner → index in shown.Rows
	sendTable := func() error {
		cp, err := s.classPage(c, class, view)
		if err != nil {
			return err
		}
		html, err := s.executePart("teach", "class-table", teachPage{page: s.page(), Class: cp})
		if err != nil {
			return err
		}
		shown = cp
		clear(rows)
		ids := make([]string, len(cp.Rows))
		for i, r := range cp.Rows {
			rows[r.ID], ids[i] = i, r.ID
		}
		s.class.show(sub, ids, pageTakesNew(cp, view))
		return writeSSE(w, "table", html)
	}
	sendChanges := func(learners []string) error {
		for _, id := range learners {
			i, ok := rows[id]
			if !ok {
				if pageTakesNew(shown, view) {
					return sendTable() // maybe someone new who belongs here
				}
				continue
			}
			now, err := s.learnerRow(c, class, id, shown.Columns)
			if err != nil {
				return err
			}
			change, changed := diffRow(shown.Rows[i], now)
			shown.Rows[i] = now
			if !changed {
				continue
			}
			b, err := json.Marshal(change)
			if err != nil {
				return err
			}
			if err := writeSSE(w, "cells", string(b)); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return nil
	}
	if err := sendTable(); err != nil {
		return nil
	}
	w.Flush()
	for {
		select {
		case <-ctx.Done():
			if superseded(ctx) {
				_ = writeSSE(w, "superseded", "{}")
				w.Flush()
			}
			return nil
		case <-keepAlive.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			w.Flush()
		case <-sub.ch:
			learners, all := s.class.take(sub)
			if all {
				err = sendTable()
			} else {
				err = sendChanges(learners)
			}
			if err != nil {
				return nil
			}
			w.Flush()
			// Let a burst of changes collapse into the next send.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
}

// pageTakesNew reports whether a learner not on page p of view may belong
// on it: the page is not full and no filter keeps anyone out.
func pageTakesNew(p classPage, view classView) bool {
	return len(p.Rows) < classPageSize && view.Query == "" && !view.Stuck
}

// teachResetLab throws away a learner's sandbox (broker, sessions, cloud
// values); their progress stays.
func (s *Server) teachResetLab(c echo.Context) error {
	id := c.Param("learner")
	l, err := s.store.Learner(c.Request().Context(), id)
	if err != nil {
		return notFound("There is no learner %q.", id)
	}
	s.resetLab(id)
	s.log.Info("lab reset by instructor", "learner", id)
	s.notifyClass(id)
	if c.FormValue("back") == "learner" {
		return c.Redirect(http.StatusSeeOther, learnerPageURL(id)+"?reset=1")
	}
	q := url.Values{"reset": {id}}
	if l.Class != store.DefaultClass {
		q.Set("class", l.Class)
	}
	return c.Redirect(http.StatusSeeOther, "/teach?"+q.Encode())
}

type teachSessionsPage struct {
	page
	Sessions []store.InstructorSession
	Current  string // the id of the session asking
	Revoked  bool   // a session was just signed out
}

// teachSessions lists the instructor sessions still active.
func (s *Server) teachSessions(c echo.Context) error {
	list, err := s.store.InstructorSessions(c.Request().Context())
	if err != nil {
		return err
	}
	cur, _, _ := s.instructorSession(c)
	return s.render(c, http.StatusOK, "teach_sessions", teachSessionsPage{page: s.page(), Sessions: list, Current: cur.ID, Revoked: c.QueryParam("revoked") != ""})
}

// teachSessionRevoke signs one instructor session out.
func (s *Server) teachSessionRevoke(c echo.Context) error {
	id := c.Param("id")
	if err := s.store.RevokeInstructorSession(c.Request().Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("There is no active instructor session %q: it was signed out already.", id)
		}
		return err
	}
	s.log.Info("instructor session revoked", "session", id)
	return c.Redirect(http.StatusSeeOther, "/teach/sessions?revoked=1")
}
