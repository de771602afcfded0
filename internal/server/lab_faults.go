package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/console"
)

// Fault injection on the learner's own sandbox (labs/faults.go), from the
// console's Faults tab: POST /api/lab/faults/{withhold-ack,delay,restart,
// unreachable,drop}, and GET /api/lab/faults for what is armed now.

// faultError answers a fault the sandbox refused at the field at fault.
func faultError(c echo.Context, err error) error {
	var fe *labs.FaultError
	switch {
	case errors.As(err, &fe):
		kind := console.KindInvalid
		if fe.Unknown {
			kind = console.KindNotFound
		}
		return consoleError(c, &console.Error{Kind: kind, Field: fe.Field, Message: fe.Message})
	case errors.Is(err, labs.ErrSandboxClosed):
		return consoleError(c, &console.Error{Kind: console.KindUnavailable, Message: err.Error()})
	}
	return consoleError(c, err)
}

// faultRequest is the body of every fault call; each reads its fields.
type faultRequest struct {
	ClientID string `json:"client_id"`
	From     string `json:"from"`
	Cut      bool   `json:"cut"`
	Ms       *int   `json:"ms"`
	Seconds  *int   `json:"seconds"`
}

func (s *Server) faultBody(c echo.Context) (faultRequest, *labs.Sandbox, error) {
	var req faultRequest
	if err := readBody(c, 4<<10, &req); err != nil {
		return req, nil, consoleError(c, err)
	}
	req.ClientID = strings.TrimSpace(req.ClientID)
	sb, err := s.labSandbox(c)
	return req, sb, err
}

// faultsShow answers GET /api/lab/faults: the faults armed now.
func (s *Server) faultsShow(c echo.Context) error {
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sb.Faults())
}

// faultWithholdAck answers POST /api/lab/faults/withhold-ack
// {client_id, from: "client"|"broker", cut}.
func (s *Server) faultWithholdAck(c echo.Context) error {
	req, sb, err := s.faultBody(c)
	if err != nil {
		return err
	}
	if req.From == "" {
		req.From = string(labs.AckFromClient)
	}
	if err := sb.WithholdAck(req.ClientID, labs.AckSide(req.From), req.Cut); err != nil {
		return faultError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"faults": sb.Faults()})
}

// faultDelay answers POST /api/lab/faults/delay {client_id, ms, seconds}.
func (s *Server) faultDelay(c echo.Context) error {
	req, sb, err := s.faultBody(c)
	if err != nil {
		return err
	}
	if req.Ms == nil {
		return consoleError(c, &console.Error{Kind: console.KindInvalid, Field: "ms", Message: "give the delay in milliseconds, e.g. {\"ms\": 2000}"})
	}
	lasting := time.Duration(0)
	if req.Seconds != nil {
		if *req.Seconds <= 0 {
			return consoleError(c, &console.Error{Kind: console.KindInvalid, Field: "seconds", Message: "a delay lasts 1 to 300 seconds"})
		}
		lasting = time.Duration(*req.Seconds) * time.Second
	}
	if err := sb.DelayDeliveries(req.ClientID, time.Duration(*req.Ms)*time.Millisecond, lasting); err != nil {
		return faultError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"faults": sb.Faults()})
}

// faultRestart answers POST /api/lab/faults/restart.
func (s *Server) faultRestart(c echo.Context) error {
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	info, err := sb.RestartBroker()
	if err != nil {
		return faultError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"restart": info})
}

// faultUnreachable answers POST /api/lab/faults/unreachable {seconds}.
func (s *Server) faultUnreachable(c echo.Context) error {
	req, sb, err := s.faultBody(c)
	if err != nil {
		return err
	}
	if req.Seconds == nil {
		return consoleError(c, &console.Error{Kind: console.KindInvalid, Field: "seconds", Message: "give how long the broker stays unreachable, e.g. {\"seconds\": 10}"})
	}
	if err := sb.MakeUnreachable(time.Duration(*req.Seconds) * time.Second); err != nil {
		return faultError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"faults": sb.Faults()})
}

// faultDrop answers POST /api/lab/faults/drop {client_id}: any client's
// connection, a terminal's too (/api/lab/clients/:id/drop is the console's
// own clients').
func (s *Server) faultDrop(c echo.Context) error {
	req, sb, err := s.faultBody(c)
	if err != nil {
		return err
	}
	if err := sb.DropConnection(req.ClientID); err != nil {
		return faultError(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"dropped": req.ClientID})
}
