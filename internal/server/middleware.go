package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows the page's own scripts and styles, images from
// anywhere (courses may link them) and only the privacy-enhanced YouTube
// player in frames. Sanitising course HTML is the first defence; this is the
// second.
const contentSecurityPolicy = cspBeforeFormAction + "form-action 'self'" + cspAfterFormAction

const (
	cspBeforeFormAction = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: https:; media-src 'self' https:; frame-src https://www.youtube-nocookie.com; " +
		"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; "
	cspAfterFormAction = "; frame-ancestors 'self'"
)

// allowFormsTo widens the page's form-action to origins (besides 'self'):
// the join page's sign-in button is a form (it carries the class code) whose
// redirect leads to the single sign-on provider.
func allowFormsTo(c echo.Context, origins []string) {
	if len(origins) == 0 {
		return
	}
	c.Response().Header().Set("Content-Security-Policy",
		cspBeforeFormAction+"form-action 'self' "+strings.Join(origins, " ")+cspAfterFormAction)
}

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
// DELETE) when a browser says it comes from another site, with Go's own
// check (Sec-Fetch-Site, else Origin against Host; "Origin: null", sent by
// sandboxed frames and local files, is another site). In personal mode the
// API needs no cookie, so without this any page open in the learner's
// browser could press Check or answer quizzes for them. Tools such as curl
// send neither header and pass; so does the simulated cloud under /api/v2,
// which learners' own apps on other origins are meant to call.
func sameOriginWrites() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern(cloudAPIPath + "/")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cop.Check(c.Request()) != nil {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site; open courselab itself and try again.")
			}
			return next(c)
		}
	}
}

// Request bodies are small here (a name, a quiz answer, a publish of at
// most 64 KiB): each is read whole before the handler runs, within
// BodyTimeout and MaxBodyBytes, so a client trickling its body holds a
// connection for seconds, not forever.
const (
	BodyTimeout  = 10 * time.Second
	MaxBodyBytes = 1 << 20
)

func boundedBodies(timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
				return next(c)
			}
			if r.ContentLength > MaxBodyBytes {
				return bodyTooLarge()
			}
			rc := http.NewResponseController(c.Response())
			_ = rc.SetReadDeadline(time.Now().Add(timeout))
			body, err := readWhole(r.Body, r.ContentLength)
			_ = rc.SetReadDeadline(time.Time{})
			if err != nil {
				c.Response().Header().Set("Connection", "close")
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return echo.NewHTTPError(http.StatusRequestTimeout, "Your request took too long to arrive. Check your connection and try again.")
				}
				return echo.NewHTTPError(http.StatusBadRequest, "Your request arrived incomplete. Try again.")
			}
			if len(body) > MaxBodyBytes {
				return bodyTooLarge()
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			return next(c)
		}
	}
}

// readWhole reads a body of the given length (-1: unknown) and at most
// MaxBodyBytes+1 bytes. A known length gets one buffer of that size:
// io.ReadAll starts at 512 bytes, for bodies that are mostly a dozen.
func readWhole(body io.Reader, length int64) ([]byte, error) {
	if length < 0 || length > MaxBodyBytes {
		return io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	}
	b := make([]byte, length)
	_, err := io.ReadFull(body, b)
	return b, err
}

func bodyTooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("That request is larger than %d KiB, the most this server accepts.", MaxBodyBytes>>10))
}
