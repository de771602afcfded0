package server

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// mqttOrigin guards MQTT over WebSocket (/mqtt) against other web sites: a
// browser sends the Origin of the page that opens the socket, and any page
// on the web could otherwise reach the learner's broker through their
// browser. Accepted are clients that send no Origin (not a browser), this
// server's own pages, and pages served from the learner's own machine
// (http://localhost:5500 while they build the course's web app). In
// classroom mode a page opened from a file (Origin "null") is accepted too:
// there the MQTT password decides, and a foreign page does not have it; in
// personal mode, where every client is the learner, it is refused.
func (s *Server) mqttOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.mqttOriginAllowed(c.Request()) {
			return echo.NewHTTPError(http.StatusForbidden, "MQTT over WebSocket is open to this server's pages and to pages served from your own computer (http://localhost:…), not to other web sites. Serve your page locally, e.g. with 'npx serve' or 'python3 -m http.server', and open it from there.")
		}
		return next(c)
	}
}

func (s *Server) mqttOriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if origin == "null" {
		return s.cfg.Classroom
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return isLoopbackHost(u.Hostname())
}

// isLoopbackHost reports whether host names the browser's own machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}
