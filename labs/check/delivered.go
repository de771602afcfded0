package check

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// restWindow is how long before its journal line a REST call's publish may
// be: the cloud API writes the line once the response is known.
const restWindow = 5 * time.Second

// deliveredCheck passes when a value the learner pushed on a matching topic
// (through the REST API, or published by one of their MQTT clients) was
// delivered to one of their clients subscribed to it.
type deliveredCheck struct {
	topic  string
	source string // rest, mqtt or any
}

func parseDelivered(a args) (evaluator, error) {
	return &deliveredCheck{topic: a.get("topic"), source: a.get("source")}, nil
}

// push is a value the learner sent, as the broker published it.
type push struct {
	seq     uint64
	topic   string
	payload string
	source  string
	client  string // the publisher, for MQTT
	time    time.Time
}

// restTopic maps a cloud value path to its MQTT topic.
func restTopic(path string) (string, bool) {
	p := strings.TrimPrefix(strings.Trim(path, "/"), strings.TrimPrefix(apiPrefix, "/")+"/")
	segs := strings.Split(p, "/")
	if len(segs) != 5 || segs[0] != "devices" || (segs[4] != "value" && segs[4] != "values") {
		return "", false
	}
	if segs[2] != string(labs.Sensors) && segs[2] != string(labs.Actuators) {
		return "", false
	}
	return pointTopic(labs.PointKind(segs[2]), segs[1], segs[3]), true
}

func (c *deliveredCheck) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	events := sb.Journal().Since(0)
	var pushes []push
	var deliveries []labs.Event
	lastPlatform := map[string]labs.Event{} // topic → the platform's latest publish so far
	platformPayloads := map[string]bool{}   // topic + payload of every platform publish
	for _, e := range events {
		switch e.Kind {
		case labs.KindPublish:
			if e.Platform {
				lastPlatform[e.Topic] = e
				platformPayloads[e.Topic+"\x00"+e.Payload] = true
			} else if c.source != "rest" && matches(c.topic, e.Topic) {
				pushes = append(pushes, push{seq: e.Seq, topic: e.Topic, payload: e.Payload, source: "mqtt", client: e.ClientID, time: e.Time})
			}
		case labs.KindREST:
			r := e.REST()
			t, ok := restTopic(r.Path)
			if c.source == "mqtt" || r.Method != "POST" || r.Status < 200 || r.Status > 299 || !ok || !matches(c.topic, t) {
				continue
			}
			if p, ok := lastPlatform[t]; ok && e.Time.Sub(p.Time) <= restWindow {
				pushes = append(pushes, push{seq: p.Seq, topic: t, payload: p.Payload, source: "rest", time: p.Time})
			}
		case labs.KindDeliver:
			if matches(c.topic, e.Topic) {
				deliveries = append(deliveries, e)
			}
		}
	}
	// The latest push that reached a client wins. The broker may write a
	// delivery before it journals the publish, so deliveries are matched by
	// topic and payload (values carry millisecond timestamps), not by order.
	for i := len(pushes) - 1; i >= 0; i-- {
		p := pushes[i]
		for _, e := range deliveries {
			if e.Topic != p.topic || e.Payload != p.payload || e.Time.Before(p.time.Add(-time.Second)) {
				continue
			}
			ev := map[string]any{"client_id": e.ClientID, "topic": e.Topic, "source": p.source, "qos": e.QoS,
				"payload": e.Payload, "sent": stamp(p.time), "delivered": stamp(e.Time)}
			how := "you sent through the REST API"
			if p.source == "mqtt" {
				ev["publisher"] = p.client
				how = fmt.Sprintf("your client %s published", client(p.client))
			}
			return Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
				"Your client %s received the value %s on %s.", client(e.ClientID), how, e.Topic)}
		}
	}
	platformDelivered := ""
	for _, e := range deliveries {
		if platformPayloads[e.Topic+"\x00"+e.Payload] {
			platformDelivered = e.ClientID
		}
	}
	evidence := map[string]any{"topic": c.topic, "source": c.source}
	if n := len(pushes); n > 0 {
		p := pushes[n-1]
		evidence["sent"], evidence["sent_topic"] = stamp(p.time), p.topic
		now := ""
		for _, s := range connected(sb.Sessions()) {
			if _, ok := matching(s, p.topic); ok {
				now = fmt.Sprintf("; your client %s is subscribed now, so send the value again", client(s.ClientID))
				break
			}
		}
		if now == "" {
			now = fmt.Sprintf(": start a subscriber first (mosquitto_sub -t %s), then send the value again", p.topic)
		}
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"You sent a value to %s at %s, but no client of yours was subscribed to receive it%s.", p.topic, clock(p.time), now)}
	}
	var send string
	switch c.source {
	case "rest":
		send = "send one through the REST API with the course's curl line (POST /api/v2/" + instantiate(c.topic) + ")"
	case "mqtt":
		send = "publish one from your MQTT client (mosquitto_pub -t " + instantiate(c.topic) + " -m …)"
	default:
		send = "send one through the REST API (the course's curl line) or publish one with MQTT"
	}
	if platformDelivered != "" {
		evidence["client_id"] = platformDelivered
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client %s received values on %s, but they came from the platform (the simulator or a check), not from you: %s.",
			client(platformDelivered), onTopic(c.topic), send)}
	}
	return Detail{Evidence: evidence, Message: fmt.Sprintf(
		"You have not sent a value to %s yet: with a client subscribed to it, %s, then press Check again.", onTopic(c.topic), send)}
}
