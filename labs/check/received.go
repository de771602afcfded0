package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// receivedCheck publishes fresh values on a set of topics (a device's
// sensors and actuators, or a list) and passes when one learner client
// received every one of them, with at least the given QoS. With wildcard
// "+", that client must also hold one subscription with + (and no #) that
// covers them all: the exercise teaches the single-level wildcard, and a
// broader filter such as devices/# receives the values without proving it.
type receivedCheck struct {
	device   string
	topics   []string
	qos      byte
	timeout  time.Duration
	wildcard string // "" or "+"
}

func parseReceived(a args) (evaluator, error) {
	c := &receivedCheck{device: a.get("device"), qos: a.qos(), wildcard: a.get("wildcard")}
	if c.device == "" {
		c.topics = a.topicList("topics")
	}
	var err error
	if c.timeout, err = a.timeout(); err != nil {
		return nil, err
	}
	return c, nil
}

// plusFilter returns s's subscription with + and no # that matches every
// topic, the one a wildcard="+" exercise asks for.
func plusFilter(s labs.Session, topics []string) (string, bool) {
	for _, sub := range s.Subscriptions {
		f := plainFilter(sub.Filter)
		if !strings.Contains(f, "+") || strings.Contains(f, "#") {
			continue
		}
		all := true
		for _, t := range topics {
			all = all && matches(f, t)
		}
		if all {
			return sub.Filter, true
		}
	}
	return "", false
}

// teaches reports whether session s received the values the way the
// exercise teaches (always, without a wildcard attribute).
func (c *receivedCheck) teaches(s labs.Session, topics []string) bool {
	if c.wildcard == "" {
		return true
	}
	_, ok := plusFilter(s, topics)
	return ok
}

// delivery is one fresh value as a client received it.
type delivery struct {
	Topic string `json:"topic"`
	QoS   byte   `json:"qos"`
	Time  string `json:"time"`
}

func (c *receivedCheck) evaluate(ctx context.Context, sb *labs.Sandbox) Detail {
	topics := c.topics
	if c.device != "" {
		d, err := sb.Cloud().Device(c.device)
		if err != nil {
			return Detail{Message: fmt.Sprintf("Your sandbox has no device %s: create it (POST /api/v2/devices with {\"id\":\"%s\"}) and press Check again.", c.device, c.device)}
		}
		if topics = deviceTopics(d); len(topics) == 0 {
			return Detail{Message: fmt.Sprintf("Device %s has no sensors or actuators yet: add them and press Check again.", c.device)}
		}
	}
	evidence := map[string]any{"topics": topics}
	if c.device != "" {
		evidence["device"] = c.device
	}
	want := suggestFilter(topics)
	if len(connected(sb.Sessions())) == 0 {
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"No client of yours is connected to your sandbox's broker: connect one that subscribes to %s and press Check again.", want)}
	}

	// Publish, then look at who could receive what, as the broker routed it.
	from := sb.Journal().LastSeq()
	deadline := time.Now().Add(c.timeout)
	sent := map[string]string{} // topic → payload
	for _, t := range topics {
		payload, err := publishFresh(ctx, sb, t, c.qos, deadline)
		if err != nil {
			return Detail{Evidence: evidence, Message: publishFailed(err)}
		}
		sent[t] = payload
	}
	sessions := connected(sb.Sessions())
	canPass := false
	expected := 0
	for _, s := range sessions {
		n := 0
		for _, t := range topics {
			if sub, ok := matching(s, t); ok {
				expected++
				if sub.QoS >= c.qos {
					n++
				}
			}
		}
		canPass = canPass || n == len(topics) && c.teaches(s, topics)
	}

	got := map[string]map[string]delivery{} // client → topic → delivery
	arrived := 0
	winner := ""
	watch(ctx, sb, from, time.Until(deadline), func(evs []labs.Event) bool {
		for _, e := range evs {
			p, ok := sent[e.Topic]
			if e.Kind != labs.KindDeliver || !ok || !samePayload(e.Payload, p) {
				continue
			}
			if got[e.ClientID] == nil {
				got[e.ClientID] = map[string]delivery{}
			}
			if old, dup := got[e.ClientID][e.Topic]; dup && old.QoS >= e.QoS {
				continue // a second matching subscription or a resend
			}
			if _, dup := got[e.ClientID][e.Topic]; !dup {
				arrived++
			}
			got[e.ClientID][e.Topic] = delivery{Topic: e.Topic, QoS: e.QoS, Time: stamp(e.Time)}
		}
		for id, ds := range got {
			if s, ok := find(sessions, id); ok && c.complete(ds, topics) && c.teaches(s, topics) && (winner == "" || id < winner) {
				winner = id
			}
		}
		return winner != "" || !canPass && arrived >= expected
	})

	if winner != "" {
		evidence["client_id"] = winner
		evidence["deliveries"] = sortedDeliveries(got[winner])
		if s, ok := find(sessions, winner); ok {
			evidence["filters"] = filters(s)
		}
		return Detail{Passed: true, Evidence: evidence, Message: c.passMessage(winner, len(topics))}
	}
	if d, ok := c.broader(sessions, got, topics, evidence); ok {
		return d
	}
	return c.failure(sessions, got, topics, evidence)
}

// broader explains a client that received every value, but through a tool
// broader than the one the exercise teaches (devices/#, or one subscription
// per topic where one + does it).
func (c *receivedCheck) broader(sessions []labs.Session, got map[string]map[string]delivery, topics []string, evidence map[string]any) (Detail, bool) {
	if c.wildcard == "" {
		return Detail{}, false
	}
	want := suggestFilter(topics)
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s, ok := find(sessions, id)
		if !ok || !c.complete(got[id], topics) {
			continue
		}
		evidence["client_id"] = id
		evidence["filters"] = filters(s)
		evidence["deliveries"] = sortedDeliveries(got[id])
		var wide, used []string
		for _, sub := range s.Subscriptions {
			for _, t := range topics {
				if matches(sub.Filter, t) {
					if strings.Contains(sub.Filter, "#") && !slices.Contains(wide, sub.Filter) {
						wide = append(wide, sub.Filter)
					}
					if !slices.Contains(used, sub.Filter) {
						used = append(used, sub.Filter)
					}
				}
			}
		}
		if len(wide) > 0 {
			return Detail{Evidence: evidence, Message: fmt.Sprintf(
				"Your client %s received the fresh values through %s: %s also receives them, along with everything else below it; this exercise is about +, which fills exactly one level: subscribe to %s and press Check again.",
				client(id), wide[0], wide[0], want)}, true
		}
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client %s received all %d fresh values, through %d subscriptions (%s); this exercise is about doing it with one subscription and the + wildcard: subscribe to %s and press Check again.",
			client(id), len(topics), len(used), list(used), want)}, true
	}
	return Detail{}, false
}

// complete reports whether ds holds every topic with enough QoS.
func (c *receivedCheck) complete(ds map[string]delivery, topics []string) bool {
	for _, t := range topics {
		if d, ok := ds[t]; !ok || d.QoS < c.qos {
			return false
		}
	}
	return true
}

func (c *receivedCheck) passMessage(id string, n int) string {
	switch {
	case c.device != "":
		return fmt.Sprintf("Your client %s received all %d fresh values of %s.", client(id), n, c.device)
	case n == 1:
		return fmt.Sprintf("Your client %s received a fresh value on %s.", client(id), c.topics[0])
	}
	return fmt.Sprintf("Your client %s received fresh values on all %d topics.", client(id), n)
}

// failure explains, for the client that came closest, the topics it missed and why.
func (c *receivedCheck) failure(sessions []labs.Session, got map[string]map[string]delivery, topics []string, evidence map[string]any) Detail {
	want := suggestFilter(topics)
	// The client to talk about: most values received, then most topics its filters cover.
	best, bestScore := labs.Session{}, -1
	for _, s := range sessions {
		score := len(got[s.ClientID]) * 1000
		for _, t := range topics {
			if _, ok := matching(s, t); ok {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	if bestScore < 0 { // every client left while we waited
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client disconnected before the fresh values arrived: keep a client subscribed to %s connected and press Check again.", want)}
	}
	id := best.ClientID
	ds := got[id]
	var missed, lowQoS, unmatched []string
	for _, t := range topics {
		d, ok := ds[t]
		switch {
		case ok && d.QoS < c.qos:
			lowQoS = append(lowQoS, t)
		case ok:
		default:
			missed = append(missed, t)
			if _, ok := matching(best, t); !ok {
				unmatched = append(unmatched, t)
			}
		}
	}
	evidence["client_id"] = id
	evidence["filters"] = filters(best)
	evidence["deliveries"] = sortedDeliveries(ds)
	evidence["missed"] = append(missed, lowQoS...)
	received := ""
	if n := len(ds); n > 0 {
		received = fmt.Sprintf("Your client %s received %d of the %d fresh values, but ", client(id), n, len(topics))
	}
	// Several clients together got everything: the exercise wants one.
	union := map[string]bool{}
	var who []string
	for cid, ds := range got {
		who = append(who, cid)
		for t, d := range ds {
			if d.QoS >= c.qos {
				union[t] = true
			}
		}
	}
	sort.Strings(who)
	switch {
	case len(union) == len(topics) && len(who) > 1:
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your clients %s together received all the fresh values, but one client must receive them all: subscribe one client to %s.", clients(who), want)}
	case len(best.Subscriptions) == 0:
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client %s is connected but has no subscription, so it received none of the fresh values: subscribe to %s and press Check again.", client(id), want)}
	case len(unmatched) > 0:
		f := closest(best, unmatched[0])
		what := fmt.Sprintf("your subscription %s did not receive %s", f, list(unmatched))
		return Detail{Evidence: evidence, Message: upper(received + withCause(what, whyNoMatch(f, unmatched[0])) + ", try " + want + ".")}
	case len(lowQoS) > 0:
		d := ds[lowQoS[0]]
		return Detail{Evidence: evidence, Message: fmt.Sprintf(
			"Your client %s received %s with QoS %d, but this exercise needs at least QoS %d: subscribe with %s.", client(id), list(lowQoS), d.QoS, c.qos, qosHint(c.qos))}
	}
	return Detail{Evidence: evidence, Message: upper(fmt.Sprintf(
		"%syour client %s is subscribed to %s but did not receive %s within %s: keep it connected and reading, then press Check again.",
		received, client(id), list(filters(best)), list(missed), seconds(c.timeout)))}
}

func sortedDeliveries(ds map[string]delivery) []delivery {
	out := make([]delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

func find(ss []labs.Session, id string) (labs.Session, bool) {
	for _, s := range ss {
		if s.ClientID == id {
			return s, true
		}
	}
	return labs.Session{}, false
}

// publishFailed turns a failed publish of a check into a sentence.
func publishFailed(err error) string {
	switch {
	case errors.Is(err, errBusy):
		return msgBusy
	case errors.Is(err, labs.ErrSandboxClosed):
		return msgSandboxClosed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return msgInterrupted
	}
	return msgInternal
}
