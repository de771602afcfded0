package check

import (
	"context"
	"fmt"

	"github.com/courselab/courselab/labs"
)

// qos2Check passes on a complete QoS 2 exchange on a matching topic, by a
// learner client (its PUBLISH answered, in the end, by the broker's
// PUBCOMP) or to one (a delivery at QoS 2 that the client ended with its
// PUBCOMP). The journal records each exchange's latest acknowledgement on
// its publish or delivery (MessageInfo.Ack).
type qos2Check struct {
	topic     string
	direction string // publish, receive or any
}

func parseQoS2(a args) (evaluator, error) {
	return &qos2Check{topic: a.get("topic"), direction: a.get("direction")}, nil
}

// exchange is a QoS 2 flow that has not had its PUBCOMP.
type exchange struct {
	start     labs.Event
	direction string
}

func (c *qos2Check) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	var open *exchange     // the latest QoS 2 exchange still waiting for its PUBCOMP
	var lowQoS *labs.Event // the latest exchange on the topic at QoS 0 or 1
	lowDirection := ""
	for _, e := range sb.Journal().Since(0) {
		direction := ""
		switch e.Kind {
		case labs.KindPublish:
			if e.Platform || c.direction == "receive" || !matches(c.topic, e.Topic) {
				continue
			}
			direction = "publish"
		case labs.KindDeliver:
			if c.direction == "publish" || !matches(c.topic, e.Topic) {
				continue
			}
			direction = "receive"
		default:
			continue
		}
		if e.QoS < 2 {
			lowQoS, lowDirection = &e, direction
			continue
		}
		m := e.Message()
		if m.PacketID == 0 {
			continue
		}
		if m.Ack != "PUBCOMP" {
			open = &exchange{start: e, direction: direction}
			continue
		}
		ev := map[string]any{"client_id": e.ClientID, "topic": e.Topic, "direction": direction,
			"packet_id": m.PacketID, "started": stamp(e.Time), "completed": stamp(m.AckedAt)}
		verb := "published"
		if direction == "receive" {
			verb = "received"
		}
		return Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
			"Your client %s %s a message on %s with QoS 2 and completed the exchange (PUBLISH, PUBREC, PUBREL, PUBCOMP).",
			client(e.ClientID), verb, e.Topic)}
	}
	switch {
	case open != nil:
		return Detail{Evidence: map[string]any{"client_id": open.start.ClientID, "topic": open.start.Topic, "direction": open.direction,
			"started": stamp(open.start.Time)}, Message: fmt.Sprintf(
			"The QoS 2 exchange of your client %s on %s started but did not finish (no PUBCOMP yet): keep the client connected until it completes, then press Check again.",
			client(open.start.ClientID), open.start.Topic)}
	case lowQoS != nil && lowDirection == "publish":
		return Detail{Evidence: publishEvidence(*lowQoS), Message: fmt.Sprintf(
			"You published on %s with QoS %d; publish with QoS 2 (mosquitto_pub -q 2) to make the four-step exchange PUBLISH, PUBREC, PUBREL, PUBCOMP.",
			lowQoS.Topic, lowQoS.QoS)}
	case lowQoS != nil:
		return Detail{Evidence: map[string]any{"client_id": lowQoS.ClientID, "topic": lowQoS.Topic, "qos": lowQoS.QoS, "time": stamp(lowQoS.Time)},
			Message: fmt.Sprintf("Your client %s received %s with QoS %d: for a QoS 2 exchange both the subscription and the publish need QoS 2 (mosquitto_sub -q 2, mosquitto_pub -q 2).",
				client(lowQoS.ClientID), lowQoS.Topic, lowQoS.QoS)}
	}
	var how string
	switch c.direction {
	case "publish":
		how = fmt.Sprintf("publish with QoS 2 (mosquitto_pub -q 2 -t %s -m hello)", instantiate(c.topic))
	case "receive":
		how = fmt.Sprintf("subscribe with QoS 2 (mosquitto_sub -q 2 -t %s) and publish to it with QoS 2", c.topic)
	default:
		how = fmt.Sprintf("publish with QoS 2 (mosquitto_pub -q 2 -t %s -m hello), or subscribe with QoS 2 and receive a QoS 2 message", instantiate(c.topic))
	}
	return Detail{Evidence: map[string]any{"topic": c.topic, "direction": c.direction}, Message: fmt.Sprintf(
		"No client of yours has exchanged a message on %s with QoS 2 yet: %s, then press Check again.", onTopic(c.topic), how)}
}
