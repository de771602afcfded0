package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs/topic"
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
// sandbox's subscribers of the topic and the sessions it dropped (memory).
func publishCoach(server *mqtt.Server, memory *coachMemory, cl *mqtt.Client, pk packets.Packet) []string {
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
	out = append(out, memory.nothingQueued(pk.TopicName)...)
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

// coachMemory remembers the sessions the broker dropped while their client
// was away, with the subscriptions they held: once a session is gone, mochi
// knows nothing of it, and a learner publishing to the client that "should
// have got it" deserves the reason (clean session, or its session expired).
type coachMemory struct {
	count     atomic.Int32 // len(forgotten): publishes read it without the lock
	mu        sync.Mutex
	forgotten map[string]forgottenSession // client id → its dropped session
}

// forgottenSession is a session dropped while its client was away.
type forgottenSession struct {
	filters []string
	why     string // the end of "Nothing was queued for X, which is away: …"
	at      time.Time
}

// maxForgotten bounds the memory per sandbox: the oldest is dropped first.
const maxForgotten = 16

// forgetOnDisconnect records cl's session, which the broker drops now that
// cl disconnected: a 3.x clean session, or an MQTT 5 session expiry of 0.
func (m *coachMemory) forgetOnDisconnect(cl *mqtt.Client) {
	why := "it connected with clean session, so the broker dropped its session, and its subscription to %s, when it disconnected. Connect with clean session off (mosquitto_sub -c) for the broker to keep QoS 1 and 2 messages while it is away."
	if cl.Properties.ProtocolVersion == 5 {
		why = "its session expiry interval was 0, so the broker dropped its session, and its subscription to %s, when it disconnected. Connect with a session expiry interval above 0 (mosquitto_sub -V 5 -c -x 300) for the broker to keep QoS 1 and 2 messages while it is away."
	}
	m.remember(cl.ID, cl.State.Subscriptions.GetAll(), why)
}

// forgetExpired records the session of clientID, which expired
// expiry seconds after its client left; subs are the subscriptions it held.
func (m *coachMemory) forgetExpired(clientID string, subs map[string]packets.Subscription, expiry uint32) {
	m.remember(clientID, subs, fmt.Sprintf("its session expired %d s after it disconnected (its session expiry interval), so the broker forgot its subscription to %%s. Reconnect within the interval, or ask for a longer one.", expiry))
}

func (m *coachMemory) remember(clientID string, subs map[string]packets.Subscription, why string) {
	if len(subs) == 0 {
		return // nothing would have matched
	}
	filters := make([]string, 0, len(subs))
	for f := range subs {
		filters = append(filters, f)
	}
	sort.Strings(filters)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.forgotten == nil {
		m.forgotten = map[string]forgottenSession{}
	}
	if _, ok := m.forgotten[clientID]; !ok && len(m.forgotten) >= maxForgotten {
		oldest := ""
		for id, f := range m.forgotten {
			if oldest == "" || f.at.Before(m.forgotten[oldest].at) {
				oldest = id
			}
		}
		delete(m.forgotten, oldest)
	}
	m.forgotten[clientID] = forgottenSession{filters: filters, why: why, at: time.Now()}
	m.count.Store(int32(len(m.forgotten)))
}

// welcomeBack forgets clientID's dropped session: it connected again, with
// a new session that speaks for itself.
func (m *coachMemory) welcomeBack(clientID string) {
	if m.count.Load() == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.forgotten, clientID)
	m.count.Store(int32(len(m.forgotten)))
}

// nothingQueued explains, for each dropped session that held a subscription
// matching topicName, why the publish was not queued for its client.
func (m *coachMemory) nothingQueued(topicName string) []string {
	if m.count.Load() == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.forgotten))
	for id := range m.forgotten {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		f := m.forgotten[id]
		for _, filter := range f.filters {
			if topic.Matches(filter, topicName) {
				out = append(out, fmt.Sprintf("Nothing was queued for %s, which is away: "+f.why, id, filter))
				break
			}
		}
	}
	return out
}
