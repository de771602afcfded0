package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

// heartbeat keeps proxies from closing a quiet event stream.
const heartbeat = 25 * time.Second

// logLine is a journal event as the lab panel shows it, with who caused it:
// "console" (the learner's web clients), "platform" (courselab itself) or
// "learner" (the learner's own MQTT clients).
type logLine struct {
	labs.Event
	Source string `json:"source"`
}

// labEvents answers GET /api/lab/events with Server-Sent Events: first the
// console clients ("clients"), then the learner's sandbox journal from the
// event after Last-Event-ID ("journal", id = the journal's Seq), then live
// journal events and console updates ("client", "message", "removed"). A
// browser that lost the stream reconnects with Last-Event-ID and gets each
// journal line once; "revised" replaces a line already sent whose QoS
// exchange moved on (same seq, its acknowledgement added). "reset" tells
// it the sandbox is a new one (its old journal is gone): clear the log. A
// learner keeps at most
// streamsPerPerson streams: a newer one ends the oldest with "superseded".
func (a *consoleAPI) labEvents(c echo.Context) error {
	d, err := a.desk(c)
	if err != nil {
		return consoleError(c, err)
	}
	all, _ := a.s.labSetup(a.s.courses.Catalog())
	sb, err := a.s.labs.Sandbox(d.Learner(), all)
	if err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The lab is full right now; try again in a minute.")
	}
	last, _ := strconv.ParseUint(c.Request().Header.Get("Last-Event-ID"), 10, 64)
	if q := c.QueryParam("after"); q != "" && last == 0 {
		last, _ = strconv.ParseUint(q, 10, 64)
	}

	ctx, release, err := a.s.streams.open(c.Request().Context(), "learner:"+d.Learner())
	if err != nil {
		return err
	}
	defer release()
	journal := sb.Journal()
	live := journal.Subscribe(ctx) // before Since, so nothing falls between the two
	updates, lagged := d.Watch(ctx)

	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	w := c.Response()
	send := func(event, id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if id != "" {
			if _, err := w.Write([]byte("id: " + id + "\n")); err != nil {
				return err
			}
		}
		return writeSSE(w, event, string(b))
	}
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return nil
	}

	consoleIDs := map[string]bool{}
	snapshot := func() error {
		clients := d.Clients()
		for _, cl := range clients {
			consoleIDs[cl.ClientID] = true
		}
		return send("clients", "", map[string]any{"clients": clients, "max": a.con.MaxClients()})
	}
	if err := snapshot(); err != nil {
		return nil
	}
	if last > journal.LastSeq() {
		// The stream resumes on a sandbox younger than the browser's log.
		if err := send("reset", "", map[string]any{}); err != nil {
			return nil
		}
		last = 0
	}
	sent := last
	source := func(e labs.Event) string {
		switch {
		case e.Platform:
			return "platform"
		case consoleIDs[e.ClientID]:
			return "console"
		}
		return "learner"
	}
	line := func(e labs.Event) error {
		if e.Seq <= sent {
			return nil // already sent: from the backlog, or before a reconnect
		}
		sent = e.Seq
		if e.Kind == labs.KindConnect {
			consoleIDs[e.ClientID] = e.Connect().Transport == labs.TransportConsole
		}
		return send("journal", strconv.FormatUint(e.Seq, 10), logLine{Event: e, Source: source(e)})
	}
	for _, e := range journal.Since(last) {
		if err := line(e); err != nil {
			return nil
		}
	}
	w.Flush()

	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			if superseded(ctx) {
				// A newer stream of this learner replaced this one: tell
				// the browser not to reconnect until the page is used again.
				_ = send("superseded", "", map[string]any{})
				w.Flush()
			}
			return nil
		case <-beat.C:
			_, err = w.Write([]byte(": ping\n\n"))
		case e, ok := <-live:
			if !ok {
				// The sandbox was reclaimed: end the stream; the browser
				// reconnects by itself and finds a fresh sandbox.
				_ = send("closed", "", map[string]any{})
				w.Flush()
				return nil
			}
			if e.Revised && e.Seq <= sent {
				// A line already sent whose exchange moved on (its
				// acknowledgement came): the browser replaces it.
				err = send("revised", "", logLine{Event: e, Source: source(e)})
				break
			}
			if e.Seq > sent+1 || e.Revised {
				// This stream fell behind and the journal dropped events
				// for it: catch up from the journal's memory first (a
				// revised line not sent yet comes as it is now).
				for _, b := range journal.Since(sent) {
					if b.Seq < e.Seq || b.Seq == e.Seq && e.Revised {
						if err = line(b); err != nil {
							break
						}
					}
				}
			}
			if err == nil && !e.Revised {
				err = line(e)
			}
		case u := <-updates:
			if lagged() {
				err = snapshot()
			} else {
				if u.Client != nil {
					consoleIDs[u.Client.ClientID] = true
				}
				err = send(u.Kind, "", u)
			}
		}
		if err != nil {
			return nil
		}
		w.Flush()
	}
}
