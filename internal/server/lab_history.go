package server

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/history"
)

// labSandbox is the asking learner's sandbox, made ready and kept alive.
func (s *Server) labSandbox(c echo.Context) (*labs.Sandbox, error) {
	learner, _ := s.learnerID(c)
	all, _ := s.labSetup(s.courses.Catalog())
	sb, err := s.labs.Sandbox(learner, all)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "The lab is full right now; try again in a minute.")
	}
	sb.Touch()
	return sb, nil
}

// historyQuery reads ?filter= and ?since= (RFC 3339 time, or a duration
// back from now such as 10m).
func historyQuery(c echo.Context) (history.Query, error) {
	q := history.Query{Filter: c.QueryParam("filter")}
	if v := c.QueryParam("since"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			q.Since = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			q.Since = t
		} else {
			return q, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("since=%q is neither a time such as 2026-12-04T16:00:00Z nor a duration such as 10m.", v))
		}
	}
	if err := q.Check(); err != nil {
		return q, echo.NewHTTPError(http.StatusBadRequest, "Cannot search: "+err.Error()+".")
	}
	return q, nil
}

// exportFormat reads ?format= (json by default).
func exportFormat(c echo.Context) (string, error) {
	switch f := c.QueryParam("format"); f {
	case "", "json":
		return "json", nil
	case "jsonl", "csv":
		return f, nil
	default:
		return "", echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("format=%q is not one of json, jsonl, csv.", f))
	}
}

// labHistory answers GET /api/lab/history: the sandbox's published
// messages, as JSON, or downloaded as JSON Lines or CSV.
func (s *Server) labHistory(c echo.Context) error {
	q, err := historyQuery(c)
	if err != nil {
		return err
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	msgs := history.Messages(sb.Journal().Since(0), q)
	switch format {
	case "jsonl":
		return writeJSONLines(c, "lab-history.jsonl", msgs)
	case "csv":
		attach(c, "lab-history.csv", "text/csv; charset=utf-8")
		w := csv.NewWriter(c.Response())
		_ = w.Write([]string{"at", "client", "topic", "qos", "retain", "payload"})
		for _, m := range msgs {
			_ = w.Write([]string{m.At.Format(time.RFC3339Nano), m.Client, m.Topic, strconv.Itoa(int(m.QoS)), strconv.FormatBool(m.Retain), m.Payload})
		}
		w.Flush()
		return w.Error()
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": msgs, "budget_bytes": labs.JournalBytes})
}

// labJournal answers GET /api/lab/journal: every journal line (connects,
// subscriptions, deliveries…), as JSON or downloaded as JSON Lines.
func (s *Server) labJournal(c echo.Context) error {
	q, err := historyQuery(c)
	if err != nil {
		return err
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	if format == "csv" {
		return echo.NewHTTPError(http.StatusBadRequest, "The journal's lines differ in shape: export it as json or jsonl.")
	}
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	evs := history.Events(sb.Journal().Since(0), q)
	if format == "jsonl" {
		return writeJSONLines(c, "lab-journal.jsonl", evs)
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs, "budget_bytes": labs.JournalBytes})
}

// labTopics answers GET /api/lab/topics: the sandbox's topic tree. The
// console then keeps it up to date from the live log, never asking again.
func (s *Server) labTopics(c echo.Context) error {
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	evs := sb.Journal().Since(0)
	last := uint64(0)
	if len(evs) > 0 {
		last = evs[len(evs)-1].Seq
	}
	return c.JSON(http.StatusOK, map[string]any{
		"topics":      history.Tree(evs, sb.RetainedTopics(), time.Now()),
		"seq":         last, // the tree holds every journal line up to this one
		"rate_window": history.RateWindow.String(),
	})
}

func attach(c echo.Context, name, mime string) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mime)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
}

func writeJSONLines[T any](c echo.Context, name string, items []T) error {
	attach(c, name, "application/jsonl; charset=utf-8")
	enc := json.NewEncoder(c.Response())
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}

// labClearRetained answers POST /api/lab/topics/clear-retained {topic}: it
// publishes the empty retained message on topic, which is how MQTT removes
// a retained message, and says so.
func (s *Server) labClearRetained(c echo.Context) error {
	var req struct {
		Topic string `json:"topic"`
	}
	if err := c.Bind(&req); err != nil || req.Topic == "" {
		return echo.NewHTTPError(http.StatusBadRequest, `Send the topic to clear as {"topic": "…"}.`)
	}
	if strings.ContainsAny(req.Topic, "+#") {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%q is a filter: a retained message stands on one topic name, without + or #.", req.Topic))
	}
	sb, err := s.labSandbox(c)
	if err != nil {
		return err
	}
	if err := sb.Publish(req.Topic, nil, 0, true); err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The broker did not take the message: "+err.Error())
	}
	return c.JSON(http.StatusOK, map[string]any{"topic": req.Topic, "message": clearedRetainedMessage(req.Topic)})
}

// clearedRetainedMessage says what publishing the empty retained message did.
func clearedRetainedMessage(topic string) string {
	return "Published an empty retained message on " + topic + ": the broker dropped the retained message there, so a new subscriber gets nothing on it until someone publishes again. Clients already subscribed got the empty message."
}
