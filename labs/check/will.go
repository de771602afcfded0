package check

import (
	"context"
	"fmt"
	"time"

	"github.com/courselab/courselab/labs"
)

// willCheck passes when the broker sent the last will of a learner client on
// a matching topic: the client set a will, then lost its connection without
// sending DISCONNECT.
type willCheck struct {
	topic string
}

func parseWill(a args) (evaluator, error) {
	f, err := a.filter("topic")
	if err != nil {
		return nil, err
	}
	return &willCheck{topic: f}, nil
}

// willConn is a client's latest connection as the journal tells it.
type willConn struct {
	client       string
	willTopic    string
	connected    labs.Event
	disconnected *labs.Event
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
	conns := map[string]*willConn{}
	var order []*willConn
	for _, e := range sb.Journal().Since(0) {
		switch e.Kind {
		case labs.KindWill:
			if e.ClientID != "" && matches(c.topic, e.Topic) {
				return Detail{Passed: true, Evidence: map[string]any{"client_id": e.ClientID, "topic": e.Topic,
					"payload": e.Payload, "qos": e.QoS, "time": stamp(e.Time)}, Message: fmt.Sprintf(
					"The broker sent the last will of your client %s on %s when it lost the connection.", client(e.ClientID), e.Topic)}
			}
		case labs.KindConnect:
			wc := &willConn{client: e.ClientID, willTopic: detailString(e, "will_topic"), connected: e}
			conns[e.ClientID] = wc
			order = append(order, wc)
		case labs.KindDisconnect:
			if wc := conns[e.ClientID]; wc != nil && wc.disconnected == nil {
				wc.disconnected = &e
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
			if right == nil {
				right = wc
			}
		} else if wrong == nil {
			wrong = wc
		}
	}
	if right != nil {
		ev := map[string]any{"client_id": right.client, "will_topic": right.willTopic, "connected": stamp(right.connected.Time)}
		d := right.disconnected
		switch {
		case d == nil && live[right.client]:
			return Detail{Evidence: ev, Message: fmt.Sprintf(
				"Your client %s set its will on %s but is still connected: drop its connection without DISCONNECT (kill the process or close the socket), then press Check again.",
				client(right.client), right.willTopic)}
		case d != nil && detailBool(*d, "graceful"):
			ev["disconnected"] = stamp(d.Time)
			return Detail{Evidence: ev, Message: fmt.Sprintf(
				"Your client %s disconnected gracefully (it sent DISCONNECT), so the broker discarded its will: drop the connection instead (kill the process or close the socket), then press Check again.",
				client(right.client))}
		}
		if d != nil {
			ev["disconnected"], ev["reason"] = stamp(d.Time), detailString(*d, "reason")
		} else {
			*closing = true
		}
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s lost its connection, but the broker has not sent its will yet (a will delay holds it back): wait for the delay to pass and press Check again.",
			client(right.client))}
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
