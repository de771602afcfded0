package check

import (
	"context"
	"fmt"
	"slices"

	"github.com/courselab/courselab/labs"
)

// subscribedCheck passes when one connected learner client holds, for every
// topic, a subscription whose filter matches it with at least the given
// granted QoS (different filters of that client may cover different topics).
type subscribedCheck struct {
	topics []string
	qos    byte
}

func parseSubscribed(a args) (evaluator, error) {
	return &subscribedCheck{topics: a.topicList("topics"), qos: a.qos()}, nil
}

// coverage is which subscription of a client matches each topic.
type coverage struct {
	Topic  string `json:"topic"`
	Filter string `json:"filter"`
	QoS    byte   `json:"qos"`
}

func (c *subscribedCheck) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	want := suggestFilter(c.topics)
	how := want
	if c.qos > 0 {
		how += fmt.Sprintf(" with QoS %d", c.qos)
	}
	sessions := connected(sb.Sessions())
	evidence := map[string]any{"topics": c.topics, "qos": c.qos}
	if len(sessions) == 0 {
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"No client of yours is connected to your sandbox's broker: connect one, subscribe to %s and press Check again.", how)}
	}
	best, bestMatched := labs.Session{}, -1
	for _, s := range sessions {
		matched, enough := 0, 0
		var cov []coverage
		for _, t := range c.topics {
			if sub, ok := matching(s, t); ok {
				matched++
				cov = append(cov, coverage{Topic: t, Filter: sub.Filter, QoS: sub.QoS})
				if sub.QoS >= c.qos {
					enough++
				}
			}
		}
		if enough == len(c.topics) {
			evidence["client_id"] = s.ClientID
			evidence["subscriptions"] = cov
			msg := fmt.Sprintf("Your client %s is subscribed to %s, which covers %s.", client(s.ClientID), list(uniqueFilters(cov)), list(c.topics))
			return Detail{Passed: true, Evidence: evidence, Message: msg}
		}
		if matched > bestMatched {
			best, bestMatched = s, matched
		}
	}
	id := best.ClientID
	evidence["client_id"] = id
	evidence["filters"] = filters(best)
	if len(best.Subscriptions) == 0 {
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client %s is connected but has no subscription: subscribe to %s and press Check again.", client(id), how)}
	}
	for _, t := range c.topics {
		if _, ok := matching(best, t); !ok {
			f := closest(best, t)
			return Detail{Evidence: evidence, Message: fmt.Sprintf("Your client %s subscribed to %s, which does not match %s",
				client(id), f, withCause(t, whyNoMatch(f, t))) + "; subscribe to " + how + "."}
		}
	}
	for _, t := range c.topics {
		if sub, _ := matching(best, t); sub.QoS < c.qos {
			evidence["filter"], evidence["granted_qos"] = sub.Filter, sub.QoS
			return Detail{Evidence: evidence, Message: fmt.Sprintf(
				"Your client %s subscribed to %s with QoS %d; this exercise needs at least QoS %d: subscribe again with %s.",
				client(id), sub.Filter, sub.QoS, c.qos, qosHint(c.qos))}
		}
	}
	return Detail{Evidence: evidence, Message: msgInternal} // unreachable: best would have passed
}

func uniqueFilters(cov []coverage) []string {
	var out []string
	for _, c := range cov {
		if !slices.Contains(out, c.Filter) {
			out = append(out, c.Filter)
		}
	}
	return out
}
