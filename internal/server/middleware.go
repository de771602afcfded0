package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// logRequests logs one line per request through slog. Query strings are left
// out: they may carry tokens.
func (s *Server) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:   true,
		LogMethod:   true,
		LogURIPath:  true,
		LogLatency:  true,
		LogRemoteIP: true,
		LogError:    true,
		HandleError: true,
		Skipper: func(c echo.Context) bool {
			return c.Request().URL.Path == "/healthz"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(c.Request().Context(), level, "http",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote", v.RemoteIP),
			)
			return nil
		},
	})
}

// contentSecurityPolicy allows the page's own scripts and styles, images from
// anywhere (courses may link them) and only the privacy-enhanced YouTube
// player in frames. Sanitising course HTML is the first defence; this is the
// second.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; media-src 'self' https:; frame-src https://www.youtube-nocookie.com; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		return next(c)
	}
}

// sameOriginWrites refuses a request that changes something (POST, PUT,
// DELETE) when a browser says it comes from another site. In personal mode
// the API needs no cookie, so without this any page open in the learner's
// browser could press Check or answer quizzes for them. Tools such as curl
// send neither header and pass; so does the simulated cloud under /api/v2,
// which learners' own apps on other origins are meant to call.
func sameOriginWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions ||
			strings.HasPrefix(r.URL.Path, "/api/v2/") {
			return next(c)
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			return echo.NewHTTPError(http.StatusForbidden, "This request came from another site; open courselab itself and try again.")
		}
		if origin := r.Header.Get("Origin"); origin != "" && origin != "null" {
			u, err := url.Parse(origin)
			if err != nil || u.Host != r.Host {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site; open courselab itself and try again.")
			}
		}
		return next(c)
	}
}
