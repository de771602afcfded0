// Package cloudapi serves the Waziup API v2 subset of a learner's simulated
// IoT cloud (package labs) over HTTP, so that IoT courses' curl lines work
// against the learner's own sandbox with only the host changed.
package cloudapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

// Resolver finds the sandbox of the caller (personal mode: the personal
// sandbox; classroom mode: from the Bearer token). An *echo.HTTPError it
// returns is passed on as a JSON error with its status.
type Resolver func(c echo.Context) (*labs.Sandbox, error)

type api struct {
	labs    *labs.Labs
	resolve Resolver
}

// Register adds the API under g (mounted at /api/v2 by the server).
func Register(g *echo.Group, l *labs.Labs, resolve Resolver) {
	a := &api{labs: l, resolve: resolve}
	g.POST("/auth/token", a.authToken)
	g.GET("/devices", a.with(a.listDevices))
	g.POST("/devices", a.with(a.createDevice))
	g.GET("/devices/:d", a.with(a.getDevice))
	for _, k := range []labs.PointKind{labs.Sensors, labs.Actuators} {
		base := "/devices/:d/" + string(k)
		g.GET(base, a.with(a.listPoints(k)))
		g.POST(base, a.with(a.createPoint(k)))
		g.GET(base+"/:p", a.with(a.getPoint(k)))
		g.GET(base+"/:p/values", a.with(a.getValues(k)))
		g.POST(base+"/:p/value", a.with(a.postValue(k)))
		g.POST(base+"/:p/values", a.with(a.postValue(k))) // Waziup accepts both spellings
	}
	g.GET("/devices/:d/simulation", a.with(a.getSimulation))
	g.POST("/devices/:d/simulation", a.with(a.startSimulation))
	g.DELETE("/devices/:d/simulation", a.with(a.stopSimulation))
}

type handler func(c echo.Context, sb *labs.Sandbox) error

// with resolves the sandbox, keeps it alive, and writes the call into the
// sandbox journal once the response is known.
func (a *api) with(h handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		sb, err := a.resolve(c)
		if err != nil {
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he):
				return jsonError(c, he.Code, fmt.Sprint(he.Message))
			case errors.Is(err, labs.ErrTooManySandboxes):
				return jsonError(c, http.StatusServiceUnavailable, err.Error())
			}
			return jsonError(c, http.StatusUnauthorized, err.Error())
		}
		sb.Touch()
		var msg string
		if err := h(c, sb); err != nil {
			status, text := statusOf(err)
			msg = text
			if status == http.StatusTooManyRequests {
				c.Response().Header().Set("Retry-After", "1")
			}
			if werr := jsonError(c, status, text); werr != nil {
				return werr
			}
		}
		sb.Journal().Add(labs.Event{Kind: labs.KindREST, Platform: consoleRead(c.Request()), Detail: &labs.RESTInfo{
			Method: c.Request().Method, Path: c.Request().URL.Path, Status: c.Response().Status, Error: msg}})
		return nil
	}
}

// consoleRead reports whether a request is a courselab page reading the
// cloud for its own display (the lab console's device list and simulation
// status on every page load) rather than the learner calling the API: a GET
// that a page of this server fetched. Browsers say so with Sec-Fetch-Site:
// same-origin (not a navigation), but only to HTTPS and localhost; over
// plain HTTP in a classroom the sign is a Referer from this server on a
// request that does not ask for a page. The journal marks it Platform, so
// that it is never the learner's evidence and never pushes the learner's
// events out. The learner's curl (no Referer), their own app (another
// origin), a URL opened in the browser (a navigation, asking for HTML) stay
// the learner's calls; so do the console's buttons that change something
// (POST, DELETE), which the learner presses.
func consoleRead(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" && r.Header.Get("Sec-Fetch-Mode") != "navigate"
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	return err == nil && ref.Host != "" && ref.Host == r.Host && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// apiError is an error with the status to answer; handlers return it for
// problems found before reaching the cloud model.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

const noBody = "the request has no body"

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func statusOf(err error) (int, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.msg
	case errors.Is(err, labs.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, labs.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, labs.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, labs.ErrRateLimited):
		return http.StatusTooManyRequests, err.Error()
	case errors.Is(err, labs.ErrQuota):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, labs.ErrSandboxClosed):
		return http.StatusGone, err.Error()
	}
	return http.StatusInternalServerError, "the lab could not do that: " + err.Error()
}

func jsonError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}

// readJSON reads a body of at most the sandbox's packet size and decodes it
// with numbers kept as written (25 stays 25, not 25.0). Any Content-Type is
// accepted: the course's curl sends "application/json;charset=utf-8", others
// send none.
func readJSON(c echo.Context, sb *labs.Sandbox, example string) (any, error) {
	body, err := readBody(c, sb, example)
	if err != nil {
		return nil, err
	}
	return decodeJSON(body, example)
}

// readBody reads a non-empty body of at most the sandbox's packet size.
func readBody(c echo.Context, sb *labs.Sandbox, example string) ([]byte, error) {
	limit := sb.Limits().PacketSize
	r := c.Request()
	var body []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= int64(limit) {
		// The length is known (the server read the body already): one
		// buffer of that size, where io.ReadAll would start at 512 bytes.
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	}
	if err != nil {
		return nil, badRequest("could not read the request body: %v", err)
	}
	if len(body) > limit {
		return nil, &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: at most %d bytes", limit)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &apiError{http.StatusBadRequest, noBody + ": send JSON like " + example}
	}
	return body, nil
}

// decodeJSON decodes one JSON value, numbers kept as json.Number.
func decodeJSON(body []byte, example string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("the body is not valid JSON (%v): send JSON like %s, with double quotes around names", err, example)
	}
	if dec.More() {
		return nil, badRequest("the body holds more than one JSON value: send JSON like %s", example)
	}
	return v, nil
}

// object reads a JSON object body.
func object(c echo.Context, sb *labs.Sandbox, example string) (map[string]any, error) {
	v, err := readJSON(c, sb, example)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("the body must be a JSON object like %s", example)
	}
	return m, nil
}

func str(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		if n, isNum := v.(json.Number); isNum {
			return n.String(), nil
		}
		return "", badRequest("%q must be text", key)
	}
	return s, nil
}
