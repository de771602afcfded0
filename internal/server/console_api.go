package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs/console"
)

// consoleAPI serves the lab console: the learner's web MQTT clients under
// /api/lab/clients and the live log at /api/lab/events.
type consoleAPI struct {
	s   *Server
	con *console.Console
}

func (s *Server) newConsoleAPI() *consoleAPI {
	return &consoleAPI{s: s, con: console.New(s.labs, console.Config{})}
}

// desk is the asking learner's console, with their sandbox made ready (a
// console client connects to it) and kept alive.
func (a *consoleAPI) desk(c echo.Context) (*console.Desk, error) {
	learner, _ := a.s.learnerID(c)
	all, _ := a.s.labSetup(a.s.courses.Catalog())
	sb, err := a.s.labs.Sandbox(learner, all)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "The lab is full right now; try again in a minute.")
	}
	sb.Touch()
	return a.con.Desk(learner)
}

func (a *consoleAPI) client(c echo.Context) (*console.Client, error) {
	d, err := a.desk(c)
	if err != nil {
		return nil, err
	}
	return d.Client(c.Param("id"))
}

// consoleError answers {"error": "…", "field": "…"} with a status that fits
// the kind of mistake; the lab panel shows the message at the field.
func consoleError(c echo.Context, err error) error {
	var e *console.Error
	if !errors.As(err, &e) {
		return err // the server's error handler decides
	}
	status := map[console.ErrorKind]int{
		console.KindInvalid:     http.StatusBadRequest,
		console.KindNotFound:    http.StatusNotFound,
		console.KindConflict:    http.StatusConflict,
		console.KindLimit:       http.StatusTooManyRequests,
		console.KindRefused:     http.StatusUnprocessableEntity,
		console.KindUnavailable: http.StatusServiceUnavailable,
	}[e.Kind]
	msg := e.Message
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	body := map[string]string{"error": msg}
	if e.Field != "" {
		body["field"] = e.Field
	}
	return c.JSON(status, body)
}

// readBody decodes a small JSON request body into v.
func readBody(c echo.Context, limit int64, v any) error {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, limit))
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return &console.Error{Kind: console.KindInvalid, Message: "the request body is not the JSON this call expects"}
	}
	return nil
}

// bodyLimit leaves room for the largest payload the sandbox takes, JSON-escaped.
func (a *consoleAPI) bodyLimit() int64 { return int64(a.s.labs.Config().Limits.PacketSize)*2 + 8<<10 }

func qosField(field string, q int) (byte, error) {
	if q < 0 || q > 2 {
		return 0, &console.Error{Kind: console.KindInvalid, Field: field, Message: "QoS must be 0, 1 or 2"}
	}
	return byte(q), nil
}

// clientsList answers GET /api/lab/clients.
func (a *consoleAPI) clientsList(c echo.Context) error {
	d, err := a.desk(c)
	if err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"clients": d.Clients(), "max": a.con.MaxClients()})
}

type clientRequest struct {
	ClientID      string `json:"client_id"`
	Protocol      string `json:"protocol"`
	CleanStart    *bool  `json:"clean_start"` // default true
	KeepAlive     *int   `json:"keep_alive"`  // default 60
	SessionExpiry int    `json:"session_expiry"`
	Will          *struct {
		Topic   string `json:"topic"`
		Payload string `json:"payload"`
		QoS     int    `json:"qos"`
		Retain  bool   `json:"retain"`
	} `json:"will"`
}

// clientCreate answers POST /api/lab/clients: it opens a console client
// and connects it. A refused connection still gives a client (201), whose
// state says why, together with the error.
func (a *consoleAPI) clientCreate(c echo.Context) error {
	var req clientRequest
	if err := readBody(c, a.bodyLimit(), &req); err != nil {
		return consoleError(c, err)
	}
	o := console.Options{ClientID: req.ClientID, Protocol: req.Protocol, CleanStart: true, KeepAlive: 60}
	if req.CleanStart != nil {
		o.CleanStart = *req.CleanStart
	}
	if req.KeepAlive != nil {
		if *req.KeepAlive < 0 || *req.KeepAlive > 65535 {
			return consoleError(c, &console.Error{Kind: console.KindInvalid, Field: "keep_alive", Message: "keep-alive is 0 (off) to 65535 seconds"})
		}
		o.KeepAlive = uint16(*req.KeepAlive)
	}
	if req.SessionExpiry < 0 {
		return consoleError(c, &console.Error{Kind: console.KindInvalid, Field: "session_expiry", Message: "session expiry cannot be negative"})
	}
	o.SessionExpiry = uint32(req.SessionExpiry)
	if w := req.Will; w != nil {
		qos, err := qosField("will.qos", w.QoS)
		if err != nil {
			return consoleError(c, err)
		}
		o.Will = &console.Will{Topic: w.Topic, Payload: w.Payload, QoS: qos, Retain: w.Retain}
	}
	d, err := a.desk(c)
	if err != nil {
		return consoleError(c, err)
	}
	info, err := d.Open(c.Request().Context(), o)
	if err != nil {
		if info.ID == "" {
			return consoleError(c, err)
		}
		var e *console.Error
		errors.As(err, &e)
		return c.JSON(http.StatusCreated, map[string]any{"client": info, "error": e.Message, "field": e.Field})
	}
	return c.JSON(http.StatusCreated, map[string]any{"client": info})
}

// clientConnect answers POST /api/lab/clients/:id/connect: connect again
// with the same options (to resume a persistent session, say).
func (a *consoleAPI) clientConnect(c echo.Context) error {
	cl, err := a.client(c)
	if err != nil {
		return consoleError(c, err)
	}
	if err := cl.Connect(c.Request().Context()); err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"client": cl.Info(false)})
}

// clientSubscribe answers POST /api/lab/clients/:id/subscribe {filter, qos}.
func (a *consoleAPI) clientSubscribe(c echo.Context) error {
	var req struct {
		Filter string `json:"filter"`
		QoS    int    `json:"qos"`
	}
	if err := readBody(c, a.bodyLimit(), &req); err != nil {
		return consoleError(c, err)
	}
	qos, err := qosField("qos", req.QoS)
	if err != nil {
		return consoleError(c, err)
	}
	cl, err := a.client(c)
	if err != nil {
		return consoleError(c, err)
	}
	sub, err := cl.Subscribe(c.Request().Context(), strings.TrimSpace(req.Filter), qos)
	if err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"subscription": sub, "client": cl.Info(false)})
}

// clientUnsubscribe answers POST /api/lab/clients/:id/unsubscribe {filter}.
func (a *consoleAPI) clientUnsubscribe(c echo.Context) error {
	var req struct {
		Filter string `json:"filter"`
	}
	if err := readBody(c, a.bodyLimit(), &req); err != nil {
		return consoleError(c, err)
	}
	cl, err := a.client(c)
	if err != nil {
		return consoleError(c, err)
	}
	if err := cl.Unsubscribe(c.Request().Context(), req.Filter); err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"client": cl.Info(false)})
}

// clientPublish answers POST /api/lab/clients/:id/publish {topic, payload, qos, retain}.
func (a *consoleAPI) clientPublish(c echo.Context) error {
	var req struct {
		Topic   string `json:"topic"`
		Payload string `json:"payload"`
		QoS     int    `json:"qos"`
		Retain  bool   `json:"retain"`
	}
	if err := readBody(c, a.bodyLimit(), &req); err != nil {
		return consoleError(c, err)
	}
	qos, err := qosField("qos", req.QoS)
	if err != nil {
		return consoleError(c, err)
	}
	cl, err := a.client(c)
	if err != nil {
		return consoleError(c, err)
	}
	if err := cl.Publish(c.Request().Context(), strings.TrimSpace(req.Topic), []byte(req.Payload), qos, req.Retain); err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"published": true})
}

// clientDisconnect answers POST /api/lab/clients/:id/disconnect (graceful: no will).
func (a *consoleAPI) clientDisconnect(c echo.Context) error {
	return a.clientEnd(c, (*console.Client).Disconnect)
}

// clientDrop answers POST /api/lab/clients/:id/drop (no DISCONNECT: the will fires).
func (a *consoleAPI) clientDrop(c echo.Context) error {
	return a.clientEnd(c, (*console.Client).Drop)
}

func (a *consoleAPI) clientEnd(c echo.Context, end func(*console.Client) error) error {
	cl, err := a.client(c)
	if err != nil {
		return consoleError(c, err)
	}
	if err := end(cl); err != nil {
		return consoleError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"client": cl.Info(false)})
}

// clientDelete answers DELETE /api/lab/clients/:id.
func (a *consoleAPI) clientDelete(c echo.Context) error {
	d, err := a.desk(c)
	if err != nil {
		return consoleError(c, err)
	}
	if err := d.Remove(c.Param("id")); err != nil {
		return consoleError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
