package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// labDetails is what a learner needs to point a client at their sandbox.
type labDetails struct {
	MQTTURL  string `json:"mqtt_url"`
	WSURL    string `json:"ws_url"`
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
	APIBase  string `json:"api_base"`
}

// wsLearnerParam is the query parameter of a learner's WebSocket URL that
// names them for routing.
const wsLearnerParam = "learner"

// labShow answers GET /api/lab with the current learner's connection
// details, built from the host name the learner used to reach us.
func (s *Server) labShow(c echo.Context) error {
	id, _ := s.learnerID(c)
	all, _ := s.labSetup(s.courses.Catalog())
	if _, err := s.labs.Sandbox(id, all); err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The lab is full right now: "+err.Error())
	}
	return c.JSON(http.StatusOK, s.labDetails(c, id))
}

func (s *Server) labDetails(c echo.Context, learner string) labDetails {
	host := c.Request().Host
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if strings.Contains(hostname, ":") && !strings.HasPrefix(hostname, "[") {
		hostname = "[" + hostname + "]"
	}
	mqttPort := "1883"
	if _, p, err := net.SplitHostPort(s.cfg.MQTTAddr); err == nil && p != "0" {
		mqttPort = p
	}
	scheme, ws := "http", "ws"
	if c.Scheme() == "https" {
		scheme, ws = "https", "wss"
	}
	d := labDetails{
		MQTTURL: "mqtt://" + hostname + ":" + mqttPort,
		WSURL:   ws + "://" + host + "/mqtt",
		APIBase: scheme + "://" + host + "/api/v2",
	}
	if s.cfg.Classroom {
		cr := s.labs.Credentials(learner)
		d.Username, d.Password, d.Token = cr.Username, cr.Password, cr.Token
		// A client outside the browser (MQTT.js under node) sends no
		// cookie, and a WebSocket's CONNECT is out of a proxy's sight: the
		// learner id in the URL is what lets HAProxy send it to the node
		// that holds the sandbox (deploy/haproxy.cfg). It is the MQTT
		// username, no secret; the server ignores it.
		d.WSURL += "?" + url.Values{wsLearnerParam: {learner}}.Encode()
	}
	return d
}

// labValues are the [[lab.NAME]] placeholder values for this learner, as
// they reach the server (see content.PlaceholderNames).
func (s *Server) labValues(c echo.Context, learner string) map[string]string {
	d := s.labDetails(c, learner)
	host, port := "localhost", "1883"
	if u, err := url.Parse(d.MQTTURL); err == nil {
		host, port = u.Hostname(), u.Port()
	}
	v := map[string]string{
		"mqtt_url": d.MQTTURL, "ws_url": d.WSURL, "api_base": d.APIBase,
		"mqtt_host": host, "mqtt_port": port,
		"username": d.Username, "password": d.Password, "token": d.Token,
		"mosquitto_auth": "", "curl_auth": "", "mqttjs_options": "{}",
	}
	if d.Username != "" {
		v["mosquitto_auth"] = "-u " + d.Username + " -P " + d.Password
		v["curl_auth"] = `-H "Authorization: Bearer ` + d.Token + `"`
		v["mqttjs_options"] = `{ username: "` + d.Username + `", password: "` + d.Password + `" }`
	}
	return v
}
