package check

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/courselab/courselab/labs"
)

// publishedCheck passes on a learner publish (never the platform's) whose
// topic matches the filter and that meets every optional condition: a JSON
// field present, a payload pattern, a minimum QoS, the retain flag.
type publishedCheck struct {
	topic   string
	field   string
	payload *regexp.Regexp
	qos     byte
	retain  *bool
}

func parsePublished(a args) (evaluator, error) {
	c := &publishedCheck{topic: a.get("topic"), field: a.get("field"), qos: a.qos()}
	var err error
	if c.payload, err = a.pattern("payload"); err != nil {
		return nil, err
	}
	if a.has("retain") {
		b := a.get("retain") == "true"
		c.retain = &b
	}
	return c, nil
}

// onTopic names the filter in a sentence.
func onTopic(filter string) string {
	if hasWildcard(filter) {
		return "a topic matching " + filter
	}
	return filter
}

// problems lists, as sentences, the conditions a publish misses.
func (c *publishedCheck) problems(e labs.Event) []string {
	var out []string
	if e.QoS < c.qos {
		out = append(out, fmt.Sprintf("You published on %s with QoS %d; publish with QoS %d (mosquitto_pub -q %d).", e.Topic, e.QoS, c.qos, c.qos))
	}
	switch {
	case c.retain != nil && *c.retain && !e.Retain:
		out = append(out, fmt.Sprintf("You published on %s without the retain flag; publish with it (mosquitto_pub -r) so the broker keeps the message for new subscribers.", e.Topic))
	case c.retain != nil && !*c.retain && e.Retain:
		out = append(out, fmt.Sprintf("You published on %s with the retain flag, but this exercise wants a normal message: publish again without -r.", e.Topic))
	}
	if c.field != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(e.Payload), &obj); err != nil {
			out = append(out, fmt.Sprintf("Your message on %s is not a JSON object (%s): send JSON such as {\"%s\": 21.5}.", e.Topic, short(e.Payload), c.field))
		} else if !hasField(obj, c.field) {
			out = append(out, fmt.Sprintf("Your message on %s has no %q field: send JSON such as {\"%s\": 21.5}.", e.Topic, c.field, c.field))
		}
	}
	if c.payload != nil && !c.payload.MatchString(e.Payload) {
		out = append(out, fmt.Sprintf("Your message on %s was %q, which is not what this exercise expects (it should match %s): change it and publish again.",
			e.Topic, short(e.Payload), c.payload.String()))
	}
	return out
}

// hasField looks up a field, dotted for nested objects (sensor.value).
func hasField(obj map[string]any, path string) bool {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		v, ok := obj[p]
		if !ok {
			return false
		}
		if i == len(parts)-1 {
			return true
		}
		if obj, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}

func (c *publishedCheck) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	var closestEv, otherTopic *labs.Event
	closestMisses := 0
	platform := false
	for _, e := range sb.Journal().Since(0) {
		if e.Kind != labs.KindPublish {
			continue
		}
		if !matches(c.topic, e.Topic) {
			if !e.Platform {
				otherTopic = &e
			}
			continue
		}
		if e.Platform {
			platform = true
			continue
		}
		misses := len(c.problems(e))
		if misses == 0 {
			return Detail{Passed: true, Evidence: publishEvidence(e), Message: fmt.Sprintf(
				"Your client %s published on %s%s.", client(e.ClientID), e.Topic, c.described(e))}
		}
		if closestEv == nil || misses <= closestMisses { // the closest attempt, the latest of equals
			closestEv, closestMisses = &e, misses
		}
	}
	switch {
	case closestEv != nil:
		return Detail{Evidence: publishEvidence(*closestEv), Message: c.problems(*closestEv)[0]}
	case platform:
		return Detail{Evidence: map[string]any{"topic": c.topic}, Message: fmt.Sprintf(
			"Only the platform (the REST API, the simulator or a check) published on %s, and that does not count: publish from your own MQTT client (mosquitto_pub -t %s -m …).",
			onTopic(c.topic), instantiate(c.topic))}
	case otherTopic != nil:
		ev := publishEvidence(*otherTopic)
		ev["filter"] = c.topic
		return Detail{Evidence: ev, Message: fmt.Sprintf("Your latest publish went to %s, which does not match %s",
			otherTopic.Topic, withCause(c.topic, whyNoMatch(c.topic, otherTopic.Topic))) + "; publish on " + onTopic(c.topic) + "."}
	}
	return Detail{Evidence: map[string]any{"topic": c.topic}, Message: fmt.Sprintf(
		"No client of yours has published on %s yet: publish there (mosquitto_pub -t %s -m …) and press Check again.",
		onTopic(c.topic), instantiate(c.topic))}
}

// described says what a passing publish had, beyond its topic.
func (c *publishedCheck) described(e labs.Event) string {
	var parts []string
	if c.qos > 0 {
		parts = append(parts, fmt.Sprintf("QoS %d", e.QoS))
	}
	if c.retain != nil && *c.retain {
		parts = append(parts, "the retain flag")
	}
	if c.field != "" {
		parts = append(parts, fmt.Sprintf("a %q field", c.field))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + list(parts)
}

func publishEvidence(e labs.Event) map[string]any {
	return map[string]any{"client_id": e.ClientID, "topic": e.Topic, "qos": e.QoS, "retain": e.Retain,
		"payload": e.Payload, "time": stamp(e.Time)}
}
