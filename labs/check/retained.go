package check

import (
	"context"
	"fmt"
	"regexp"

	"github.com/courselab/courselab/labs"
)

// retainedCheck passes when the sandbox's broker holds, right now, a
// retained message on the topic that a learner client set (and whose
// payload matches the pattern, if given).
type retainedCheck struct {
	topic   string
	payload *regexp.Regexp
}

func parseRetained(a args) (evaluator, error) {
	c := &retainedCheck{topic: a.get("topic")}
	var err error
	if c.payload, err = a.pattern("payload"); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *retainedCheck) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	m, ok := sb.Retained(c.topic)
	if ok && !m.Platform {
		ev := map[string]any{"client_id": m.ClientID, "topic": m.Topic, "payload": short(string(m.Payload)), "qos": m.QoS, "time": stamp(m.Time)}
		if c.payload != nil && !c.payload.Match(m.Payload) {
			return Detail{Evidence: ev, Message: fmt.Sprintf(
				"The retained message on %s is %q, which is not what this exercise expects (it should match %s): publish the right one with -r.",
				c.topic, short(string(m.Payload)), c.payload.String())}
		}
		return Detail{Passed: true, Evidence: ev, Message: fmt.Sprintf(
			"The broker holds the retained message your client %s published on %s.", client(m.ClientID), c.topic)}
	}
	if ok {
		return Detail{Evidence: map[string]any{"topic": c.topic, "platform": true}, Message: fmt.Sprintf(
			"The retained message on %s was set by the platform, not by you: publish your own with the retain flag (mosquitto_pub -r -t %s -m …).", c.topic, c.topic)}
	}
	// Nothing retained: say what the learner's latest publish there did.
	var last *labs.Event
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindPublish && !e.Platform && e.Topic == c.topic {
			last = &e
		}
	}
	ev := map[string]any{"topic": c.topic}
	switch {
	case last != nil && last.Retain && last.Payload == "":
		return Detail{Evidence: publishEvidence(*last), Message: fmt.Sprintf(
			"Your latest retained publish on %s had an empty message, which deletes the retained message: publish a non-empty one with -r.", c.topic)}
	case last != nil && !last.Retain:
		return Detail{Evidence: publishEvidence(*last), Message: fmt.Sprintf(
			"You published on %s without the retain flag, so the broker did not keep it: publish again with -r (mosquitto_pub -r -t %s -m …).", c.topic, c.topic)}
	}
	return Detail{Evidence: ev, Message: fmt.Sprintf(
		"There is no retained message on %s: publish one with the retain flag (mosquitto_pub -r -t %s -m …) and press Check again.", c.topic, c.topic)}
}
