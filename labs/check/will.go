package check

import (
	"context"
	"fmt"
	"time"

	"github.com/courselab/courselab/labs"
)

// willCheck proves what the last-will exercise teaches, on the learner's
// latest attempt: a client connected with a will on a matching topic, lost
// its connection without DISCONNECT, the broker published the will, and
// another learner client, subscribed to that topic, received it. A will that
// went out with nobody watching, or a later attempt that ended with a
// graceful DISCONNECT, does not pass.
type willCheck struct {
	topic string
}

func parseWill(a args) (evaluator, error) {
	return &willCheck{topic: a.get("topic")}, nil
}

type willConn struct {
	client       string
	willTopic    string
	connected    labs.Event
	disconnected *labs.Event
	will         *labs.Event // the will the broker published when this connection broke
}

// settleTime bounds how long evaluate waits for a connection the broker is
// closing right now: mochi marks the client closed a moment before it
// reports the disconnect (and sends the will), and a Check pressed in that
// moment must not read it as a will held back.
const settleTime = 2 * time.Second

func (c *willCheck) evaluate(ctx context.Context, sb *labs.Sandbox) Detail {
	deadline := time.Now().Add(settleTime)
	for {
		closing := false
		d := c.evaluateOnce(sb, &closing)
		if !closing || time.Now().After(deadline) {
			return d
		}
		select {
		case <-ctx.Done():
			return d
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// evaluateOnce reads the journal and the broker once. It sets *closing for
// a client that is neither connected nor yet journaled as disconnected.
func (c *willCheck) evaluateOnce(sb *labs.Sandbox, closing *bool) Detail {
	events := sb.Journal().Since(0)
	conns := map[string]*willConn{}
	var order []*willConn
	for i := range events {
		e := events[i]
		switch e.Kind {
		case labs.KindWill:
			// mochi publishes the will before it reports the disconnect.
			if wc := conns[e.ClientID]; wc != nil && wc.will == nil {
				wc.will = &events[i]
			}
		case labs.KindConnect:
			wc := &willConn{client: e.ClientID, willTopic: e.Connect().WillTopic, connected: e}
			conns[e.ClientID] = wc
			order = append(order, wc)
		case labs.KindDisconnect:
			if wc := conns[e.ClientID]; wc != nil && wc.disconnected == nil {
				wc.disconnected = &events[i]
			}
		}
	}
	live := map[string]bool{}
	for _, s := range connected(sb.Sessions()) {
		live[s.ClientID] = true
	}
	// The latest connection with a will on a matching topic, else with any will.
	var right, wrong *willConn
	for i := len(order) - 1; i >= 0; i-- {
		wc := order[i]
		if conns[wc.client] != wc || wc.willTopic == "" {
			continue // a later connection of the same client id replaced it
		}
		if matches(c.topic, wc.willTopic) {
			if right == nil || wc.connected.Seq > right.connected.Seq {
				right = wc
			}
		} else if wrong == nil {
			wrong = wc
		}
	}
	if right != nil {
		return c.attempt(right, events, live, closing)
	}
	if wrong != nil {
		return Detail{Evidence: map[string]any{"client_id": wrong.client, "will_topic": wrong.willTopic, "topic": c.topic}, Message: fmt.Sprintf(
			"Your client %s set its will on %s, which does not match %s",
			client(wrong.client), wrong.willTopic, withCause(c.topic, whyNoMatch(c.topic, wrong.willTopic))) +
			"; connect again with the will topic " + instantiate(c.topic) + "."}
	}
	return Detail{Evidence: map[string]any{"topic": c.topic}, Message: fmt.Sprintf(
		"No client of yours set a last will on %s: connect with one (mosquitto_sub --will-topic %s --will-payload offline …), then drop the connection without DISCONNECT.",
		onTopic(c.topic), instantiate(c.topic))}
}

// attempt judges the latest connection with a will on a matching topic.
func (c *willCheck) attempt(right *willConn, events []labs.Event, live map[string]bool, closing *bool) Detail {
	ev := map[string]any{"client_id": right.client, "will_topic": right.willTopic, "connected": stamp(right.connected.Time)}
	d := right.disconnected
	switch {
	case d == nil && right.will == nil && live[right.client]:
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s set its will on %s but is still connected: drop its connection without DISCONNECT (kill the process or close the socket), then press Check again.",
			client(right.client), right.willTopic)}
	case d != nil && d.Disconnect().Graceful:
		ev["disconnected"] = stamp(d.Time)
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s disconnected gracefully (it sent DISCONNECT), so the broker discarded its will: drop the connection instead (kill the process or close the socket), then press Check again.",
			client(right.client))}
	}
	if d != nil {
		ev["disconnected"], ev["reason"] = stamp(d.Time), d.Disconnect().Reason
	}
	w := right.will
	if w == nil {
		if d == nil {
			*closing = true
		}
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s lost its connection, but the broker has not sent its will yet (a will delay holds it back): wait for the delay to pass and press Check again.",
			client(right.client))}
	}
	ev["topic"], ev["payload"], ev["qos"], ev["time"] = w.Topic, w.Payload, w.QoS, stamp(w.Time)
	// Who saw it: a delivery of the will to another learner client. The
	// broker may journal the delivery a moment before the will itself.
	for _, e := range events {
		if e.Seq > right.connected.Seq && e.Kind == labs.KindDeliver && e.ClientID != "" && e.ClientID != right.client &&
			e.Topic == w.Topic && e.Payload == w.Payload {
			ev["watcher"] = e.ClientID
			return Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
				"The broker sent the last will of your client %s on %s when it lost the connection, and your client %s received it.",
				client(right.client), w.Topic, client(e.ClientID))}
		}
	}
	if time.Since(w.Time) < settleTime {
		*closing = true // the delivery to a watcher may still be on its way
	}
	return Detail{Evidence: ev, Message: fmt.Sprintf(
		"The broker sent the last will of your client %s on %s, but no other client of yours was subscribed to %s to receive it: keep a second client subscribed to %s, connect the device again with its will and drop it.",
		client(right.client), w.Topic, w.Topic, w.Topic)}
}
