package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/oidc"
	"github.com/courselab/courselab/internal/store"
)

// What a sign-in with the school's provider is for.
const (
	roleLearner    = "learner"
	roleInstructor = "instructor"
)

// ssoFlowMaxAge bounds how long a person may take at the provider; after
// it the sign-in's cookie is gone and they start again.
const ssoFlowMaxAge = 10 * time.Minute

// ssoFlow is what the sign-in cookie carries from the start of a sign-in
// to the provider's return: signed, so only this server can have made it,
// and named after the state, so several tabs may sign in at once.
type ssoFlow struct {
	oidc.Flow
	Role     string `json:"r"`
	Next     string `json:"x"` // where to go once signed in
	Redirect string `json:"u"` // the callback address the provider was given
	Expires  int64  `json:"e"` // unix seconds
	Class    string `json:"c"` // a learner's first sign-in joins this class ("": the default class)
}

// ssoCookiePrefix starts the name of each sign-in's cookie.
const ssoCookiePrefix = "courselab_sso_"

// ssoCookieName names the cookie of the sign-in with state (which is
// random and long: its start is enough to tell sign-ins apart).
func ssoCookieName(state string) string { return ssoCookiePrefix + state[:16] }

// signInPage explains why a sign-in did not complete and what to do.
type signInPage struct {
	page
	Heading      string
	Message      string
	Again        string // "Start sign-in again" leads here; "" for no such button
	Instead      string // the other way in
	InsteadLabel string
}

// oidcStart sends the browser to the provider to sign in, as a learner or
// (?as=instructor) an instructor.
func (s *Server) oidcStart(c echo.Context) error {
	role := roleLearner
	if c.QueryParam("as") == roleInstructor {
		role = roleInstructor
	}
	next := localRedirect(c.QueryParam("next"))
	if role == roleInstructor {
		if !s.sso.SignsInInstructors() {
			return s.signInProblem(c, http.StatusNotFound, role, next, "Instructors sign in with the token here",
				fmt.Sprintf("This server does not let instructors in through %s. Enter the instructor token instead.", s.sso.Name()))
		}
		if next == "/" {
			next = "/teach"
		}
	}
	f := ssoFlow{Flow: oidc.NewFlow(), Role: role, Next: next, Redirect: siteURL(c, "/auth/oidc/callback"),
		Expires: time.Now().Add(ssoFlowMaxAge).Unix()}
	if role == roleLearner && cleanCode(c.QueryParam("code")) != "" {
		// The join form's code goes with the sign-in: checked now, so a
		// wrong code or a closed class is told before the provider's round
		// trip, and used if this is the learner's first sign-in.
		class, problem, err := s.ssoClass(c, next)
		if problem || err != nil {
			return err
		}
		f.Class = class
	}
	to, err := s.sso.AuthCodeURL(c.Request().Context(), f.Flow, f.Redirect)
	if errors.Is(err, oidc.ErrUnreachable) {
		s.log.Warn("single sign-on provider unreachable", "err", err)
		return s.signInProblem(c, http.StatusServiceUnavailable, role, next, s.sso.Name()+" cannot be reached",
			fmt.Sprintf("courselab cannot reach %s right now, so nobody can sign in with it. Try again in a minute.", s.sso.Name()))
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	setCookie(c, ssoCookieName(f.State), s.ssoFlows.Sign(string(b)), ssoFlowMaxAge)
	return c.Redirect(http.StatusSeeOther, to)
}

// ssoClass is the class the code of a learner's sign-in names. A wrong code
// or a closed class renders the join page saying so (problem is true), as
// joining with a name would.
func (s *Server) ssoClass(c echo.Context, next string) (class string, problem bool, err error) {
	p := joinPage{page: s.page(), Code: cleanCode(c.QueryParam("code")), Next: next}
	if !utf8.ValidString(p.Code) {
		p.Code = "" // not echoed back into the form
	}
	cl, err := s.joinClass(c.Request().Context(), c.QueryParam("code"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.CodeError = codeUnknown(p.Code)
		return "", true, s.render(c, http.StatusBadRequest, "join", p)
	case err != nil:
		return "", true, err
	case !cl.Open:
		s.log.Info("single sign-on refused: class closed", "class", cl.ID, "remote", c.RealIP())
		return "", true, s.render(c, http.StatusForbidden, "join", joinPage{page: s.page(), Closed: cl.Name})
	}
	return cl.ID, false, nil
}

// oidcCallback is where the provider sends the browser back. Only a sign-in
// this browser started, within ssoFlowMaxAge, and not completed before, goes
// on; anything else gets a page saying to start again, and changes nothing.
func (s *Server) oidcCallback(c echo.Context) error {
	f, ok := s.takeFlow(c, c.QueryParam("state"))
	if !ok {
		s.log.Warn("single sign-on: unknown, expired or replayed state", "remote", c.RealIP())
		return s.signInProblem(c, http.StatusBadRequest, roleLearner, "/", "This sign-in cannot be completed",
			"It was completed already, it took longer than 10 minutes, or it was started in another browser. Start sign-in again: it takes a moment.")
	}
	if e := c.QueryParam("error"); e != "" {
		why := c.QueryParam("error_description")
		if why == "" {
			why = e
		}
		if len(why) > 200 || !utf8.ValidString(why) {
			why = e
		}
		s.log.Warn("single sign-on refused by the provider", "error", e)
		return s.signInProblem(c, http.StatusBadRequest, f.Role, f.Next, s.sso.Name()+" did not sign you in",
			fmt.Sprintf("%s answered: %q. Start sign-in again, or ask your school's IT if it keeps happening.", s.sso.Name(), why))
	}
	id, err := s.sso.Exchange(c.Request().Context(), f.Flow, c.QueryParam("code"), f.Redirect)
	if errors.Is(err, oidc.ErrUnreachable) {
		s.log.Warn("single sign-on provider unreachable", "err", err)
		return s.signInProblem(c, http.StatusServiceUnavailable, f.Role, f.Next, s.sso.Name()+" cannot be reached",
			fmt.Sprintf("courselab cannot reach %s right now to finish your sign-in. Try again in a minute.", s.sso.Name()))
	}
	if err != nil {
		s.log.Warn("single sign-on not confirmed", "err", err)
		return s.signInProblem(c, http.StatusBadRequest, f.Role, f.Next, "The sign-in was not confirmed",
			fmt.Sprintf("%s did not confirm this sign-in (it may have been used already). Start sign-in again.", s.sso.Name()))
	}
	if f.Role == roleInstructor {
		return s.ssoInstructor(c, id, f)
	}
	return s.ssoLearner(c, id, f)
}

// takeFlow returns the sign-in the state names, if this browser holds its
// cookie, it has not expired and it was not completed before; its cookie
// is cleared either way.
func (s *Server) takeFlow(c echo.Context, state string) (ssoFlow, bool) {
	if len(state) < 16 || len(state) > 128 {
		return ssoFlow{}, false
	}
	name := ssoCookieName(state)
	ck, err := c.Cookie(name)
	if err != nil {
		return ssoFlow{}, false
	}
	setCookie(c, name, "", -time.Second)
	raw, ok := s.ssoFlows.Verify(ck.Value)
	var f ssoFlow
	if !ok || json.Unmarshal([]byte(raw), &f) != nil || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 {
		return ssoFlow{}, false
	}
	now := time.Now()
	if now.Unix() > f.Expires || s.ssoUsed.use(state, now) {
		return ssoFlow{}, false
	}
	f.Next = localRedirect(f.Next)
	return f, true
}

// ssoLearner signs in the learner tied to the identity, making them on
// their first sign-in (named by the provider, counted against
// --max-learners and the joins allowed per address).
func (s *Server) ssoLearner(c echo.Context, id oidc.Identity, f ssoFlow) error {
	ctx := c.Request().Context()
	l, err := s.store.LearnerByOIDC(ctx, id.Issuer, id.Subject)
	if err == nil {
		setCookie(c, learnerCookie, s.cookies.Sign(l.ID), cookieMaxAge)
		s.log.Info("learner signed in with single sign-on", "learner", l.ID)
		return c.Redirect(http.StatusSeeOther, f.Next)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	name := ssoDisplayName(id)
	if name == "" {
		return s.signInProblem(c, http.StatusBadRequest, roleLearner, f.Next, "Your name is missing",
			fmt.Sprintf("%s did not tell courselab a name it can show your instructor. Join with your name instead.", s.sso.Name()))
	}
	if ok, wait := s.joins.Allow(c.RealIP()); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return s.signInProblem(c, http.StatusTooManyRequests, roleLearner, f.Next, "Many people are joining",
			fmt.Sprintf("Many people have joined from your network in the last minute. Wait %s and sign in again.", roundWait(wait)))
	}
	class := f.Class
	if class == "" {
		class = store.DefaultClass
	}
	var created bool
	full, err := s.enrollWith(c, func(ctx context.Context) error {
		var err error
		l, created, err = s.store.EnsureOIDCLearner(ctx, id.Issuer, id.Subject, newLearnerID(name), name, class)
		return err
	})
	if err != nil {
		return err
	}
	if full {
		s.log.Warn("class full: single sign-on join refused", "max_learners", s.cfg.MaxLearners, "remote", c.RealIP())
		return s.render(c, http.StatusForbidden, "join", joinPage{page: s.page(), Full: true})
	}
	if created {
		if _, err := s.store.IssueResumeLink(ctx, l.ID); err != nil {
			return err
		}
		s.learnerClasses.Store(l.ID, l.Class)
		welcomeAfterJoin(c)
		s.notifyClass(l.ID)
		s.log.Info("learner joined with single sign-on", "learner", l.ID, "class", l.Class)
	}
	setCookie(c, learnerCookie, s.cookies.Sign(l.ID), cookieMaxAge)
	return c.Redirect(http.StatusSeeOther, f.Next)
}

// ssoDisplayName is the first name the identity offers that a learner
// could have typed at the join page, or "".
func ssoDisplayName(id oidc.Identity) string {
	for _, n := range id.DisplayNames() {
		if n = CleanName(n); CheckName(n) == "" {
			return n
		}
	}
	return ""
}

// ssoInstructor starts an instructor session for an identity the
// instructor rule accepts; anyone else is told so, and nothing is made
// for them.
func (s *Server) ssoInstructor(c echo.Context, id oidc.Identity, f ssoFlow) error {
	if !s.sso.IsInstructor(id) {
		s.log.Warn("single sign-on: not an instructor", "who", id.Who(), "remote", c.RealIP())
		return s.signInProblem(c, http.StatusForbidden, roleInstructor, f.Next, "You are not an instructor of this class",
			fmt.Sprintf("You signed in with %s as %s, who is not among this class's instructors. If you teach it, ask whoever runs courselab to add you. If you are a learner, join the class instead.", s.sso.Name(), id.Who()))
	}
	if err := s.signInInstructor(c, id.Who()+" via "+s.sso.Name()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, f.Next)
}

// signInProblem renders why a sign-in did not complete, with the way to
// start it again and the other way in.
func (s *Server) signInProblem(c echo.Context, status int, role, next, heading, msg string) error {
	p := signInPage{page: s.page(), Heading: heading, Message: msg,
		Again: "/auth/oidc/start?next=" + url.QueryEscape(next), Instead: "/join?next=" + url.QueryEscape(next), InsteadLabel: "Join with your name instead"}
	if role == roleInstructor {
		p.Again = "/auth/oidc/start?as=instructor&next=" + url.QueryEscape(next)
		p.Instead, p.InsteadLabel = "/teach", "Use the instructor token instead"
		if !s.sso.SignsInInstructors() {
			p.Again = ""
		}
	}
	return s.render(c, status, "signin", p)
}

// usedStates remembers the sign-ins that came back, for as long as their
// cookie could still be presented, so a replayed return is refused even
// by a browser that kept a copy of the cookie.
type usedStates struct {
	mu sync.Mutex
	at map[string]time.Time
}

// use records state as used at now and reports whether it was used before.
func (u *usedStates) use(state string, now time.Time) (before bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.at == nil {
		u.at = map[string]time.Time{}
	}
	if _, before = u.at[state]; before {
		return true
	}
	if len(u.at)%256 == 255 {
		for st, t := range u.at {
			if now.Sub(t) > ssoFlowMaxAge {
				delete(u.at, st)
			}
		}
	}
	u.at[state] = now
	return false
}
