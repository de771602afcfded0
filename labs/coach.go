package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The protocol coach: journal lines carry, in the Coach of their detail
// (Event.Coach), a sentence in plain words where learners are known to be
// puzzled by what the broker did. courselab is the broker, so it can say
// why.

// coachText joins the explanation sentences ("" for none).
func coachText(sentences []string) string { return strings.Join(sentences, " ") }

// publishCoach explains a learner's publish: a retained message cleared,
// a publish nobody heard, deliveries downgraded by a subscription's QoS,
// nothing kept for an absent client, a value the cloud cannot read as JSON.
// It runs after mochi delivered the message (OnPublished), over the
// sandbox's subscribers of the topic.
func publishCoach(server *mqtt.Server, cl *mqtt.Client, pk packets.Packet) []string {
	var out []string
	if pk.FixedHeader.Retain && len(pk.Payload) == 0 {
		out = append(out, fmt.Sprintf("This empty retained message cleared the retained message on %s: a new subscriber now gets nothing there until someone publishes again.", pk.TopicName))
	}
	subs := server.Topics.Subscribers(pk.TopicName)
	ids := make([]string, 0, len(subs.Subscriptions))
	for id := range subs.Subscriptions {
		if id != cl.ID || !subs.Subscriptions[id].NoLocal {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) == 0 && !cl.Net.Inline {
		s := "This publish reached no subscriber: no client had a subscription matching " + pk.TopicName + ", so nobody got it"
		if pk.FixedHeader.Retain && len(pk.Payload) > 0 {
			s += " now (its retained copy waits for the next subscriber)."
		} else {
			s += " and the broker dropped it."
		}
		if f := shallowFilter(server, pk.TopicName); f != "" {
			s += fmt.Sprintf(" The filter %s matches exactly one level where + stands; %s is deeper. Use # to match every level below.", f, pk.TopicName)
		}
		out = append(out, s)
	}
	for _, id := range ids {
		sub := subs.Subscriptions[id]
		other, ok := server.Clients.Get(id)
		if !ok {
			continue
		}
		absent := other.Closed()
		switch {
		case absent && (pk.FixedHeader.Qos == 0 || sub.Qos == 0):
			why := "it was published at QoS 0"
			if pk.FixedHeader.Qos > 0 {
				why = fmt.Sprintf("%s subscribed to %s with QoS 0", id, sub.Filter)
			}
			out = append(out, fmt.Sprintf("Nothing was queued for %s, which is away: %s, and the broker keeps only QoS 1 and 2 messages for an absent client.", id, why))
		case !absent && sub.Qos < pk.FixedHeader.Qos:
			out = append(out, fmt.Sprintf("Published at QoS %d, delivered to %s at QoS %d because %s subscribed to %s with QoS %d: a subscription's QoS is the most it gets.",
				pk.FixedHeader.Qos, id, sub.Qos, id, sub.Filter, sub.Qos))
		}
	}
	if cloudTopic(pk.TopicName) && len(pk.Payload) > 0 && !json.Valid(pk.Payload) {
		out = append(out, `The cloud expects a JSON payload here, such as {"value": 21.5}; this one is not JSON, so the cloud read it as plain text.`)
	}
	return out
}

// cloudTopic reports whether the cloud reads values from topic
// (devices/{device}/sensors|actuators/{point}/value, see Cloud.fromMQTT).
func cloudTopic(topic string) bool {
	parts := strings.Split(topic, "/")
	return len(parts) == 5 && parts[0] == "devices" && parts[4] == "value" &&
		(parts[2] == string(Sensors) || parts[2] == string(Actuators))
}

// shallowFilter finds a learner's filter with + that matches a leading part
// of topic but not topic itself: the classic devices/+ for devices/a/b.
func shallowFilter(server *mqtt.Server, topic string) string {
	levels := strings.Split(topic, "/")
	best := ""
	for _, c := range server.Clients.GetAll() {
		if c.Net.Inline {
			continue
		}
		for _, sub := range c.State.Subscriptions.GetAll() {
			f := strings.Split(sub.Filter, "/")
			if !strings.Contains(sub.Filter, "+") || len(f) >= len(levels) || strings.Contains(sub.Filter, "#") {
				continue
			}
			if prefixMatches(f, levels) && (best == "" || sub.Filter < best) {
				best = sub.Filter
			}
		}
	}
	return best
}

func prefixMatches(filter, levels []string) bool {
	for i, f := range filter {
		if f != "+" && f != levels[i] {
			return false
		}
	}
	return true
}

// subscribeCoach explains a refused filter that can never be valid.
func subscribeCoach(res []FilterResult) []string {
	var out []string
	for _, r := range res {
		if r.Code < 0x80 {
			continue
		}
		if i := strings.Index(r.Filter, "#"); i >= 0 && i != len(r.Filter)-1 {
			out = append(out, fmt.Sprintf("The broker refused %s: # must be the last level of a filter, since it already matches everything below. Use + for one level in the middle (devices/+/value) or end with # (devices/#).", r.Filter))
		} else if strings.ContainsAny(r.Filter, "#+") {
			out = append(out, fmt.Sprintf("The broker refused %s: a wildcard must fill a whole level, as in devices/+/value or devices/#, never part of one (dev+).", r.Filter))
		}
	}
	return out
}

// disconnectCoach explains why a connection ended and what became of its
// will: willDelay is the will's delay when the will is now waiting (0:
// none waits), hadWill whether the connection had a will at all, takenOver
// whether another connection took its client id (mochi then reports the
// closed connection, not the takeover, as err).
func disconnectCoach(id string, err error, takenOver, hadWill bool, willDelay uint32) []string {
	var out []string
	var ne net.Error
	switch {
	case takenOver || errors.Is(err, packets.ErrSessionTakenOver):
		out = append(out, fmt.Sprintf("A second client connected with the same client id %q, so the broker closed this connection and gave the session to the newcomer. Two clients that both stay connected need two different ids.", id))
	case errors.As(err, &ne) && ne.Timeout():
		out = append(out, "The client sent nothing, not even a PINGREQ, for one and a half times its keep-alive, so the broker considered it dead and closed the connection.")
	}
	switch {
	case hadWill && err == nil:
		out = append(out, "Its will was not sent: the client said goodbye with DISCONNECT, and a will is only for a connection that ends without one.")
	case hadWill && willDelay > 0:
		out = append(out, fmt.Sprintf("Its will is not sent yet: it waits its will delay of %d s, and is dropped if the client comes back before then.", willDelay))
	}
	return out
}

// delayedWillOf is the delay of clientID's will when it waits now (0: none).
func (s *Sandbox) delayedWillOf(clientID string) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.wills[clientID]; ok {
		return w.will.WillDelayInterval
	}
	return 0
}
