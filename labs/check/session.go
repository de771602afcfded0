package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// sessionCheck proves a persistent session: a message published while the
// learner's client was away reaches it when it comes back.
//
// It passes at once if the journal already shows that (a client away with
// its session kept, a QoS ≥ 1 message on a matching topic published
// meanwhile, the client back with its session resumed and the message
// delivered). Otherwise it needs a client whose session is offline now: it
// then publishes a fresh value (QoS 1) and waits up to the timeout for the
// client to come back and receive it. A client that is still connected is
// not waited for: the check fails at once and tells the learner to
// disconnect it and press Check again, because a learner pressing Check
// cannot read an instruction shown only after a wait. A later press finds
// the proof in the journal if the client came back after the timeout.
type sessionCheck struct {
	topic   string
	timeout time.Duration
}

func parseSession(a args) (evaluator, error) {
	c := &sessionCheck{topic: a.get("topic")}
	var err error
	if c.timeout, err = a.timeout(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *sessionCheck) evaluate(ctx context.Context, sb *labs.Sandbox) Detail {
	events := sb.Journal().Since(0)
	if d, ok := c.proven(events); ok {
		return d
	}
	// Which of the learner's sessions could hold a message for this topic?
	var away, online, qos0, clean *candidate
	for _, s := range sb.Sessions() {
		sub, ok := overlapping(s, c.topic)
		if !ok {
			continue
		}
		cand := &candidate{session: s, sub: sub}
		persistent := s.Persistent()
		switch {
		case sub.QoS == 0:
			qos0 = first(qos0, cand)
		case !s.Connected:
			away = first(away, cand)
		case persistent:
			online = first(online, cand)
		default:
			clean = first(clean, cand)
		}
	}
	switch {
	case away != nil:
		return c.act(ctx, sb, away)
	case online != nil:
		return Detail{Evidence: online.evidence(), Message: fmt.Sprintf(
			"Your client %s is still connected: disconnect it now and press Check again; Check will publish while it is away and wait up to %s for it to come back.",
			client(online.session.ClientID), seconds(c.timeout))}
	case qos0 != nil:
		return Detail{Evidence: qos0.evidence(), Message: fmt.Sprintf(
			"Your client %s subscribed to %s with QoS 0, and the broker keeps messages for an absent client only at QoS 1 or 2: subscribe with %s.",
			client(qos0.session.ClientID), qos0.sub.Filter, qosHint(1))}
	case clean != nil:
		return Detail{Evidence: clean.evidence(), Message: cleanMessage(clean.session.ClientID, clean.session.Protocol == 5 && !clean.session.Clean, true)}
	}
	// No session left: was there one, with a clean session?
	if id, expiryOnly, ok := c.forgotten(events); ok {
		return Detail{Evidence: map[string]any{"client_id": id, "topic": c.topic}, Message: cleanMessage(id, expiryOnly, false)}
	}
	return Detail{Evidence: map[string]any{"topic": c.topic}, Message: fmt.Sprintf(
		"No client of yours has a subscription matching %s: connect one with clean session off and a client id (mosquitto_sub -c -i my-sub -q 1 -t %s), disconnect it, then press Check.",
		onTopic(c.topic), instantiate(c.topic))}
}

// cleanMessage explains a session that does not outlive its connection.
func cleanMessage(id string, expiryOnly, online bool) string {
	forgets := "forgot its subscriptions when it disconnected"
	if online {
		forgets = "will forget its subscriptions as soon as it disconnects"
	}
	if expiryOnly {
		return fmt.Sprintf("Your client %s connected without a session expiry, so the broker %s: connect with clean start off and a session expiry (mosquitto_sub -c -x 300 -i %s …) and subscribe again.", client(id), forgets, id)
	}
	return fmt.Sprintf("Your client %s connected with clean session (clean start), so the broker %s: connect with clean session off and a session expiry (mosquitto_sub -c -i %s …) and subscribe again.", client(id), forgets, id)
}

// candidate is a session that subscribed to a matching filter.
type candidate struct {
	session labs.Session
	sub     labs.Subscription
}

func first(have, c *candidate) *candidate {
	if have != nil {
		return have
	}
	return c
}

func (c *candidate) evidence() map[string]any {
	return map[string]any{"client_id": c.session.ClientID, "filter": c.sub.Filter, "qos": c.sub.QoS,
		"connected": c.session.Connected, "clean": c.session.Clean, "session_expiry": c.session.SessionExpiry}
}

// overlapping returns the session's subscription (highest QoS first) whose
// filter shares a topic with filter.
func overlapping(s labs.Session, filter string) (labs.Subscription, bool) {
	var best labs.Subscription
	found := false
	for _, sub := range s.Subscriptions {
		if _, ok := meet(sub.Filter, filter); ok && (!found || sub.QoS > best.QoS) {
			best, found = sub, true
		}
	}
	return best, found
}

// meet returns a topic name that both filters match, if there is one.
func meet(a, b string) (string, bool) {
	x, y := strings.Split(plainFilter(a), "/"), strings.Split(plainFilter(b), "/")
	var out []string
	for i := 0; ; i++ {
		switch {
		case i < len(x) && x[i] == "#":
			return strings.Join(append(out, strings.Split(instantiate(strings.Join(y[min(i, len(y)):], "/")), "/")...), "/"), true
		case i < len(y) && y[i] == "#":
			return strings.Join(append(out, strings.Split(instantiate(strings.Join(x[min(i, len(x)):], "/")), "/")...), "/"), true
		case i == len(x) && i == len(y):
			return strings.Join(out, "/"), true
		case i >= len(x) || i >= len(y):
			return "", false
		case x[i] == "+" && y[i] == "+":
			out = append(out, "check")
		case x[i] == "+":
			out = append(out, y[i])
		case y[i] == "+" || x[i] == y[i]:
			out = append(out, x[i])
		default:
			return "", false
		}
	}
}

func (c *sessionCheck) topicFor(sb *labs.Sandbox, filter string) string {
	return topicFor(sb, c.topic, filter)
}

// topicFor picks the topic to publish on for a client subscribed to filter:
// the check's topic if it is one, else preferably a sensor's or actuator's
// topic of the cloud, so the cloud and MQTT agree.
func topicFor(sb *labs.Sandbox, checkTopic, filter string) string {
	if !hasWildcard(checkTopic) {
		return checkTopic
	}
	for _, d := range sb.Cloud().Devices() {
		for _, t := range deviceTopics(d) {
			if matches(checkTopic, t) && matches(filter, t) {
				return t
			}
		}
	}
	t, _ := meet(filter, checkTopic)
	t = strings.Trim(t, "/")
	if t == "" {
		t = "check"
	}
	return t
}

// act publishes while the candidate is away and waits for it to come back.
func (c *sessionCheck) act(ctx context.Context, sb *labs.Sandbox, away *candidate) Detail {
	id := away.session.ClientID
	ev := away.evidence()
	topic := c.topicFor(sb, away.sub.Filter)
	from := sb.Journal().LastSeq()
	deadline := time.Now().Add(c.timeout)
	payload, err := publishFresh(ctx, sb, topic, 1, deadline)
	if err != nil {
		return Detail{Evidence: ev, Message: publishFailed(err)}
	}
	ev["topic"], ev["payload"], ev["published"] = topic, payload, stamp(time.Now())
	var verdict *Detail
	watch(ctx, sb, from, time.Until(deadline), func(evs []labs.Event) bool {
		for _, e := range evs {
			if e.ClientID != id {
				continue
			}
			switch e.Kind {
			case labs.KindConnect:
				if e.Connect().CleanStart {
					ev["reconnected"] = stamp(e.Time)
					verdict = &Detail{Evidence: ev, Message: fmt.Sprintf(
						"Your client %s came back with clean session (clean start), so the broker threw away the message Check published while it was away: reconnect with clean session off and press Check again.", client(id))}
					return true
				}
				ev["reconnected"] = stamp(e.Time)
			case labs.KindDeliver:
				if e.Topic == topic && samePayload(e.Payload, payload) {
					ev["delivered"], ev["qos"] = stamp(e.Time), e.QoS
					verdict = &Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
						"Your client %s came back with its session and received the value Check published on %s while it was away.", client(id), topic)}
					return true
				}
			}
		}
		return false
	})
	if verdict != nil {
		return *verdict
	}
	return Detail{Evidence: ev, Message: fmt.Sprintf(
		"Check published a fresh value on %s while your client %s was away, but it did not come back within %s: reconnect it with the same client id and clean session off, then press Check again.",
		topic, client(id), seconds(c.timeout))}
}

// proven looks in the journal for a message that waited for a client with
// a persistent session and reached it when it came back.
func (c *sessionCheck) proven(events []labs.Event) (Detail, bool) {
	type absence struct {
		left     time.Time
		back     bool
		resumed  bool
		messages map[string]labs.Event // topic + payload → the publish
	}
	away := map[string]*absence{}
	for _, e := range events {
		switch e.Kind {
		case labs.KindDisconnect:
			if e.Disconnect().SessionKept {
				away[e.ClientID] = &absence{left: e.Time, messages: map[string]labs.Event{}}
			} else {
				delete(away, e.ClientID)
			}
		case labs.KindPublish:
			if e.QoS == 0 || !matches(c.topic, e.Topic) {
				continue
			}
			for _, a := range away {
				if !a.back {
					a.messages[e.Topic+"\x00"+e.Payload] = e
				}
			}
		case labs.KindConnect:
			if a := away[e.ClientID]; a != nil {
				if a.back || e.Connect().CleanStart {
					delete(away, e.ClientID)
				} else {
					a.back = true
				}
			}
		case labs.KindSessionResumed:
			if a := away[e.ClientID]; a != nil && a.back {
				a.resumed = true
			}
		case labs.KindDeliver:
			a := away[e.ClientID]
			if a == nil || !a.resumed {
				continue
			}
			if p, ok := a.messages[e.Topic+"\x00"+e.Payload]; ok {
				return Detail{Passed: true, Evidence: map[string]any{"client_id": e.ClientID, "topic": e.Topic,
					"payload": e.Payload, "left": stamp(a.left), "published": stamp(p.Time), "delivered": stamp(e.Time)},
					Message: fmt.Sprintf("Your client %s came back with its session and received the message published on %s while it was away.",
						client(e.ClientID), e.Topic)}, true
			}
		}
	}
	return Detail{}, false
}

// forgotten finds a client that subscribed to a matching filter on a
// session that ended with its connection.
func (c *sessionCheck) forgotten(events []labs.Event) (id string, expiryOnly bool, ok bool) {
	lastConnect := map[string]labs.Event{}
	subscribed := map[string]bool{}
	for _, e := range events {
		switch e.Kind {
		case labs.KindConnect:
			lastConnect[e.ClientID] = e
		case labs.KindSubscribe:
			for _, fr := range e.Subscribe().Filters {
				if _, ok := meet(fr.Filter, c.topic); ok && fr.Code < 0x80 {
					subscribed[e.ClientID] = true
				}
			}
		case labs.KindDisconnect:
			if subscribed[e.ClientID] && !e.Disconnect().SessionKept {
				conn := lastConnect[e.ClientID]
				id, expiryOnly, ok = e.ClientID, !conn.Connect().CleanStart, true
			}
			delete(subscribed, e.ClientID)
		}
	}
	return id, expiryOnly, ok
}
