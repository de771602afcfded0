// Package server is courselab's HTTP side: routes, handlers, pages and the
// one place where errors become what the user sees (JSON under /api/, an HTML
// page everywhere else).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/oidc"
	"github.com/courselab/courselab/internal/secret"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/internal/throttle"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/check"
)

// CatalogSource hands out the current course catalog. The embedded catalog
// never changes; a catalog read from --courses is replaced when an
// instructor edits it, so handlers ask for it on every request.
type CatalogSource interface {
	Catalog() *content.Catalog
}

// StaticCatalog is a CatalogSource that never changes.
type StaticCatalog struct{ C *content.Catalog }

// Catalog returns the one catalog.
func (s StaticCatalog) Catalog() *content.Catalog { return s.C }

// Server holds what every handler needs. Build it with New.
type Server struct {
	cfg     config.Config
	courses CatalogSource
	labs    *labs.Labs
	store   *store.Store
	log     *slog.Logger
	reqLog  *requestLog
	pages   *pages
	assets  *assets
	cache   pageCache
	setups  labSetups
	reads   learnerMarks // what each learner has done, cached
	class   classFeed
	// learnerClasses is learner id → class id, read once (classOf).
	learnerClasses  sync.Map
	classCache      classCache // classes as learners' pages read them
	streams         streamCap  // live event streams per person
	checks          *check.Engine
	console         *consoleAPI
	cookies         secret.Signer  // learners' session cookies
	verifiedCookies cookieMemo     // learner cookies whose signature held
	instructor      secret.Signer  // the instructor's cookie; keyed by the token, so a new token logs everyone out
	sso             *oidc.Provider // the school's OpenID Connect provider; nil without --oidc-issuer
	ssoFlows        secret.Signer  // the cookie that carries a sign-in from its start to its return
	ssoUsed         usedStates     // sign-ins that came back already, refused if replayed
	echo            *echo.Echo

	joins      *throttle.PerAddr // joins per source address; nil: no limit
	joinMu     sync.Mutex        // one join at a time counts the class
	tokenTries *throttle.PerAddr // instructor token tries per source address

	// clock is the time the dashboard judges "stuck" and "idle" by; tests
	// move it forward rather than sleep.
	clock func() time.Time

	node       string // this process among the nodes sharing the database
	stopListen func() // ends the cluster listener (class_feed.go)
}

// New wires the routes. cfg.Secret must be set (it signs cookies), and in
// classroom mode cfg.InstructorToken too. New fails only if the embedded
// templates are broken, which the tests catch before a release.
func New(cfg config.Config, courses CatalogSource, lab *labs.Labs, st *store.Store, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.Secret == "" {
		return nil, errors.New("server: no secret to sign cookies with")
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p, err := loadPages(a)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, courses: courses, labs: lab, store: st, log: logger, pages: p, assets: a,
		reqLog:     newRequestLog(logger, CloudAPISummaryEvery),
		checks:     check.New(logger),
		cookies:    secret.NewSigner(cfg.Secret, "learner cookie"),
		instructor: secret.NewSigner(cfg.Secret+cfg.InstructorToken, "instructor cookie"),
		tokenTries: throttle.New(tokenTryEvery, tokenTryBurst),
		clock:      time.Now,
	}
	// Zero caps (a Config built by hand, as tests do) mean no cap.
	if s.cfg.MaxLearners <= 0 {
		s.cfg.MaxLearners = math.MaxInt
	}
	if n := cfg.JoinsPerMinute; n > 0 {
		s.joins = throttle.New(time.Minute/time.Duration(n), n)
	}
	if !cfg.Classroom {
		if _, err := st.EnsureLearner(context.Background(), labs.PersonalLearner, "You"); err != nil {
			return nil, err
		}
	}
	if cfg.OIDC.Enabled() {
		s.sso, s.ssoFlows = oidc.New(cfg.OIDC), secret.NewSigner(cfg.Secret, "oidc sign-in")
		go func() {
			// Only to say at start what would otherwise fail at the first sign-in.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := s.sso.Check(ctx); err != nil {
				s.log.Warn("single sign-on provider not reachable yet; learners can still join with a name", "err", err)
			}
		}()
	}
	s.node = newNodeID()
	s.stopListen = s.listenCluster()
	s.labSetup(courses.Catalog())
	s.console = s.newConsoleAPI()
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = clientIP(cfg.TrustedProxies)
	s.echo = e
	s.routes()
	return s, nil
}

// Close ends what the server runs on learners' behalf (the lab console's
// web MQTT clients, the cluster listener). The labs and the store belong to
// the caller.
func (s *Server) Close() {
	s.stopListen()
	s.console.con.Close()
	s.reqLog.summarize()
}

// EndStreams ends the live event streams (instructor dashboards, lab
// consoles), which never end by themselves: call it before a graceful
// shutdown so that it does not wait for them.
func (s *Server) EndStreams() { s.streams.endAll(errShuttingDown) }

// Handler returns the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

func (s *Server) mode() string {
	if s.cfg.Classroom {
		return "classroom"
	}
	return "personal"
}

// notFound is the error for an unknown course, section or file. Its text is
// shown to the learner.
func notFound(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf(format, args...))
}

// handleError turns any handler error into the response the user sees:
// JSON {"error": "..."} for the API, the HTML error page for everything else.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	msg := "Something went wrong on our side. Try again; if it keeps happening, tell your instructor."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
		if status == http.StatusNotFound && he.Message == http.StatusText(http.StatusNotFound) {
			msg = "There is no page at this address."
		}
		if status == http.StatusUnauthorized && msg == http.StatusText(status) {
			msg = "You need to sign in for this."
		}
		if status == http.StatusMethodNotAllowed {
			msg = "This address does not accept " + c.Request().Method + " requests."
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		_ = c.JSON(status, map[string]string{"error": msg})
		return
	}
	heading := http.StatusText(status)
	if status == http.StatusNotFound {
		heading = "Page not found"
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = s.render(c, status, "error", errorPage{page: s.page(), Status: status, Heading: heading, Message: msg})
}
