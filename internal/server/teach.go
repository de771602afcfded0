package server

import (
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

type teachLoginPage struct {
	page
	Error string
}

type teachPage struct {
	page
	Table classTable
	Labs  map[string]int // learner → connected MQTT clients, for learners with a sandbox
	Reset string         // learner whose lab was just reset
}

// isInstructor reports whether the request carries the instructor cookie.
func (s *Server) isInstructor(c echo.Context) bool {
	ck, err := c.Cookie(instructorCookie)
	if err != nil {
		return false
	}
	v, ok := s.instructor.Verify(ck.Value)
	return ok && v == "instructor"
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
		if s.isInstructor(c) {
			return next(c)
		}
		if tok := c.QueryParam("token"); tok != "" && s.tokenTry(c) == 0 && s.tokenMatches(tok) {
			setCookie(c, instructorCookie, s.instructor.Sign("instructor"), 12*time.Hour)
			return c.Redirect(http.StatusSeeOther, localRedirect(c.Request().URL.Path))
		}
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page()})
	}
}

func (s *Server) tokenMatches(tok string) bool {
	return s.cfg.InstructorToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.InstructorToken)) == 1
}

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
	if !s.tokenMatches(c.FormValue("token")) {
		s.log.Warn("instructor login refused", "remote", c.RealIP())
		return s.render(c, http.StatusUnauthorized, "teach_login", teachLoginPage{page: s.page(), Error: "That is not the instructor token. It was printed when courselab started the first time, and is kept in the data folder (instructor-token)."})
	}
	setCookie(c, instructorCookie, s.instructor.Sign("instructor"), 12*time.Hour)
	return c.Redirect(http.StatusSeeOther, "/teach")
}

// teachShow is the instructor's view of the class.
func (s *Server) teachShow(c echo.Context) error {
	data, err := s.teachData(c)
	if err != nil {
		return err
	}
	data.Reset = c.QueryParam("reset")
	return s.render(c, http.StatusOK, "teach", data)
}

func (s *Server) teachData(c echo.Context) (teachPage, error) {
	class, err := s.store.ClassProgress(c.Request().Context())
	if err != nil {
		return teachPage{}, err
	}
	data := teachPage{page: s.page(), Table: buildClassTable(s.courses.Catalog(), class)}
	// In a cluster a learner's sandbox lives on one node, which this one
	// cannot see: it says so rather than "no sandbox".
	none := "no sandbox"
	if s.store.Shared() {
		none = "not on this node"
	}
	for i := range data.Table.Rows {
		row := &data.Table.Rows[i]
		row.Lab = none
		if sb := s.labs.Lookup(row.Learner.ID); sb != nil {
			row.Lab = fmt.Sprintf("%d MQTT client(s)", sb.Connected())
		}
	}
	return data, nil
}

// teachEvents streams the class table to the dashboard (Server-Sent
// Events): a fresh table whenever a learner's progress changes, at most a
// few times a second, and a comment every 20 s to keep proxies from closing
// the stream. The instructor keeps at most streamsPerPerson streams; a
// newer one ends the oldest with "superseded".
func (s *Server) teachEvents(c echo.Context) error {
	ctx, release, err := s.streams.open(c.Request().Context(), "instructor")
	if err != nil {
		return err
	}
	defer release()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	changed, stop := s.class.subscribe()
	defer stop()
	keepAlive := time.NewTicker(20 * time.Second)
	defer keepAlive.Stop()
	send := func() error {
		data, err := s.teachData(c)
		if err != nil {
			return err
		}
		html, err := s.executePart("teach", "class-table", data)
		if err != nil {
			return err
		}
		if err := writeSSE(w, "table", html); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
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
		case <-changed:
			if err := send(); err != nil {
				return nil
			}
			// Let a burst of changes collapse into the next send.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
}

// teachResetLab throws away a learner's sandbox (broker, sessions, cloud
// values); their progress stays.
func (s *Server) teachResetLab(c echo.Context) error {
	id := c.Param("learner")
	if _, err := s.store.Learner(c.Request().Context(), id); err != nil {
		return notFound("There is no learner %q.", id)
	}
	s.resetLab(id)
	s.log.Info("lab reset by instructor", "learner", id)
	s.notifyClass()
	return c.Redirect(http.StatusSeeOther, "/teach?reset="+url.QueryEscape(id))
}
