package check

import (
	"context"
	"fmt"
	"time"

	"github.com/courselab/courselab/labs"
)

// recoversCheck breaks the learner's broker on purpose (labs/faults.go) and
// proves that a learner's client subscribed to topic gets over it:
//
//   - withhold-ack: Check publishes a fresh QoS 1 value, the broker pretends
//     the client's PUBACK was lost and cuts the connection; the client must
//     reconnect with its session and receive the value again with DUP=1.
//   - restart: Check restarts the broker (sessions kept); the client must
//     reconnect and receive a fresh value, through its session or a new
//     subscription.
//
// It needs a connected client: the fault is injected when Check is
// pressed, so that the learner watches their client recover.
type recoversCheck struct {
	topic   string
	fault   string
	timeout time.Duration
}

func parseRecovers(a args) (evaluator, error) {
	c := &recoversCheck{topic: a.get("topic"), fault: a.get("fault")}
	var err error
	if c.timeout, err = a.timeout(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *recoversCheck) evaluate(ctx context.Context, sb *labs.Sandbox) Detail {
	// The most recently connected of the learner's clients is the one the
	// learner just started: it is the one Check breaks.
	lastConnect := map[string]uint64{}
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindConnect {
			lastConnect[e.ClientID] = e.Seq
		}
	}
	var ready, qos0, clean, away *candidate
	newer := func(have, c *candidate) *candidate {
		if have == nil || lastConnect[c.session.ClientID] > lastConnect[have.session.ClientID] {
			return c
		}
		return have
	}
	for _, s := range sb.Sessions() {
		sub, ok := overlapping(s, c.topic)
		if !ok {
			continue
		}
		cand := &candidate{session: s, sub: sub}
		persistent := s.Persistent()
		switch {
		case !s.Connected:
			away = newer(away, cand)
		case c.fault == "restart":
			ready = newer(ready, cand)
		case sub.QoS == 0:
			qos0 = newer(qos0, cand)
		case !persistent:
			clean = newer(clean, cand)
		default:
			ready = newer(ready, cand)
		}
	}
	switch {
	case ready != nil && c.fault == "restart":
		return c.restart(ctx, sb, ready)
	case ready != nil:
		return c.withholdAck(ctx, sb, ready)
	case qos0 != nil:
		return Detail{Evidence: qos0.evidence(), Message: fmt.Sprintf(
			"Your client %s subscribed to %s with QoS 0, and at QoS 0 the client sends no PUBACK and the broker never sends a message again: subscribe with %s and press Check again.",
			client(qos0.session.ClientID), qos0.sub.Filter, qosHint(1))}
	case clean != nil:
		id := clean.session.ClientID
		return Detail{Evidence: clean.evidence(), Message: fmt.Sprintf(
			"Your client %s connected with clean session (clean start), so when its connection breaks the broker forgets the messages it did not acknowledge: connect with clean session off and a client id (mosquitto_sub -c -i %s …), then press Check.", client(id), id)}
	case away != nil:
		return Detail{Evidence: away.evidence(), Message: fmt.Sprintf(
			"Your client %s is not connected: start it again (same client id, clean session off) and leave it running, then press Check; Check breaks something and watches it recover.",
			client(away.session.ClientID))}
	}
	return Detail{Evidence: map[string]any{"topic": c.topic}, Message: fmt.Sprintf(
		"No client of yours is subscribed to %s: subscribe with a persistent session and QoS 1 (mosquitto_sub -c -i my-phone -q 1 -t %s -d), leave it running, then press Check.",
		onTopic(c.topic), instantiate(c.topic))}
}

// withholdAck publishes a fresh value, loses the client's PUBACK for it
// and cuts the connection, then waits for the DUP=1 redelivery.
func (c *recoversCheck) withholdAck(ctx context.Context, sb *labs.Sandbox, cand *candidate) Detail {
	id := cand.session.ClientID
	ev := cand.evidence()
	ev["fault"] = c.fault
	from := sb.Journal().LastSeq()
	deadline := time.Now().Add(c.timeout)
	if err := sb.WithholdAck(id, labs.AckFromClient, true); err != nil {
		return Detail{Evidence: ev, Message: "Check could not break the connection of your client: " + err.Error() + "; press Check again."}
	}
	topic := topicFor(sb, c.topic, cand.sub.Filter)
	payload, err := publishFresh(ctx, sb, topic, 1, deadline)
	if err != nil {
		sb.CancelWithhold(id, labs.AckFromClient)
		return Detail{Evidence: ev, Message: publishFailed(err)}
	}
	ev["topic"], ev["payload"], ev["published"] = topic, payload, stamp(time.Now())
	var packetID uint16
	withheld, back := false, false
	var verdict *Detail
	watch(ctx, sb, from, time.Until(deadline), func(evs []labs.Event) bool {
		for _, e := range evs {
			if e.ClientID != id {
				continue
			}
			switch {
			case e.Kind == labs.KindFault && e.Fault().From == string(labs.AckFromClient) && e.Fault().PacketID != 0 && !withheld:
				withheld, packetID = true, e.Fault().PacketID
				ev["withheld"], ev["packet_id"] = stamp(e.Time), packetID
			case e.Kind == labs.KindConnect && withheld:
				ev["reconnected"] = stamp(e.Time)
				if e.Connect().CleanStart {
					verdict = &Detail{Evidence: ev, Message: fmt.Sprintf(
						"Your client %s came back with clean session (clean start), so the broker threw away the message whose PUBACK was lost: reconnect with clean session off (-c) and press Check again.", client(id))}
					return true
				}
				back = true
			case e.Kind == labs.KindDeliver && back && e.Message().Dup && e.Message().PacketID == packetID:
				ev["redelivered"] = stamp(e.Time)
				verdict = &Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
					"Your client %s recovered: Check made its PUBACK get lost and cut its connection, and it reconnected with its session and received message %d on %s again, marked DUP=1 (QoS 1 delivers at least once: a message whose acknowledgement is lost comes again).",
					client(id), packetID, e.Topic)}
				return true
			}
		}
		return false
	})
	if verdict != nil {
		return *verdict
	}
	switch {
	case !withheld:
		sb.CancelWithhold(id, labs.AckFromClient)
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Check published a fresh value on %s with QoS 1, but your client %s did not acknowledge it within %s: is it still subscribed and running? Press Check again.",
			topic, client(id), seconds(c.timeout))}
	case !back:
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Check lost the PUBACK of your client %s and cut its connection, but it did not reconnect within %s: a client that must not lose messages reconnects by itself (mosquitto_sub does; in a program, turn automatic reconnection on), so start it again with the same client id and -c, then press Check again.",
			client(id), seconds(c.timeout))}
	}
	return Detail{Evidence: ev, Message: fmt.Sprintf(
		"Your client %s reconnected, but the message whose PUBACK was lost did not come again within %s: press Check again.", client(id), seconds(c.timeout))}
}

// restart restarts the broker and waits for the client to come back and
// receive a fresh value.
func (c *recoversCheck) restart(ctx context.Context, sb *labs.Sandbox, cand *candidate) Detail {
	id := cand.session.ClientID
	ev := cand.evidence()
	ev["fault"] = c.fault
	from := sb.Journal().LastSeq()
	deadline := time.Now().Add(c.timeout)
	if _, err := sb.RestartBroker(); err != nil {
		return Detail{Evidence: ev, Message: "Check could not restart your broker: " + err.Error()}
	}
	ev["restarted"] = stamp(time.Now())
	resumed := false
	back := watch(ctx, sb, from, time.Until(deadline), func(evs []labs.Event) bool {
		for _, e := range evs {
			if e.ClientID == id && e.Kind == labs.KindConnect {
				ev["reconnected"] = stamp(e.Time)
				resumed = !e.Connect().CleanStart
				return true
			}
		}
		return false
	})
	if !back {
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Check restarted your broker, but your client %s did not reconnect within %s: a client that must keep receiving reconnects by itself (mosquitto_sub does; in a program, turn automatic reconnection on), so start it again, then press Check again.",
			client(id), seconds(c.timeout))}
	}
	// Back: wait for its subscription (kept, or made again), then publish.
	var sub labs.Subscription
	subscribed := watch(ctx, sb, sb.Journal().LastSeq(), time.Until(deadline), func([]labs.Event) bool {
		for _, s := range sb.Sessions() {
			if s.ClientID == id && s.Connected {
				var ok bool
				sub, ok = overlapping(s, c.topic)
				return ok
			}
		}
		return false
	})
	if !subscribed {
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s reconnected after the restart but is no longer subscribed to %s because it connected with clean session, so the broker forgot its subscription: subscribe again after reconnecting, or connect with clean session off (mosquitto_sub -c -i %s …), then press Check again.",
			client(id), onTopic(c.topic), id)}
	}
	topic := topicFor(sb, c.topic, sub.Filter)
	seq := sb.Journal().LastSeq()
	payload, err := publishFresh(ctx, sb, topic, 1, deadline)
	if err != nil {
		return Detail{Evidence: ev, Message: publishFailed(err)}
	}
	ev["topic"], ev["payload"] = topic, payload
	got := watch(ctx, sb, seq, time.Until(deadline), func(evs []labs.Event) bool {
		for _, e := range evs {
			if e.ClientID == id && e.Kind == labs.KindDeliver && e.Topic == topic && samePayload(e.Payload, payload) {
				ev["delivered"] = stamp(e.Time)
				return true
			}
		}
		return false
	})
	if !got {
		return Detail{Evidence: ev, Message: fmt.Sprintf(
			"Your client %s reconnected after the restart, but the fresh value Check published on %s did not reach it within %s: press Check again.", client(id), topic, seconds(c.timeout))}
	}
	how := "it subscribed again"
	if resumed {
		how = "its persistent session kept its subscription"
	}
	return Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
		"Your client %s recovered from the broker's restart: it reconnected and received the fresh value Check published on %s (%s).", client(id), topic, how)}
}
