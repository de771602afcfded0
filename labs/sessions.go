package labs

import (
	"sort"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Session is a learner client's MQTT session as the sandbox broker holds it
// right now: connected, or offline with its session kept for a later
// reconnect. Exercise checks read it to say what a client is subscribed to.
type Session struct {
	ClientID      string         `json:"client_id"`
	Connected     bool           `json:"connected"`
	Protocol      byte           `json:"protocol"`       // 3, 4 (3.1.1) or 5
	Clean         bool           `json:"clean"`          // clean session (3.x) or clean start (5) at its last CONNECT
	SessionExpiry uint32         `json:"session_expiry"` // seconds; what mochi keeps for persistent 3.x sessions too
	Subscriptions []Subscription `json:"subscriptions"`  // sorted by filter
	Queued        int            `json:"queued"`         // QoS 1/2 messages in flight or waiting for it
	Will          *Will          `json:"will,omitempty"` // the last will its CONNECT set, while the broker holds it
}

// Persistent tells whether the session outlives a disconnect: MQTT 3.x
// keeps it unless clean session, MQTT 5 when its session expiry is above 0.
func (s Session) Persistent() bool {
	return s.Protocol < 5 && !s.Clean || s.Protocol == 5 && s.SessionExpiry > 0
}

// Will is the last will a client left with the broker: what is published
// for it if it goes away without a DISCONNECT.
type Will struct {
	Topic   string `json:"topic"`
	QoS     byte   `json:"qos"`
	Retain  bool   `json:"retain"`
	Payload string `json:"payload"` // an excerpt (PayloadExcerpt bytes), hex when not UTF-8
}

// Subscription is one filter a session holds, with the QoS the broker granted.
type Subscription struct {
	Filter string `json:"filter"`
	QoS    byte   `json:"qos"`
}

// Sessions lists the learner's sessions (never the platform's own client),
// sorted by client id.
func (s *Sandbox) Sessions() []Session {
	var out []Session
	for _, cl := range s.server.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		ss := Session{
			ClientID:      cl.ID,
			Connected:     !cl.Closed(),
			Protocol:      cl.Properties.ProtocolVersion,
			Clean:         cl.Properties.Clean,
			SessionExpiry: cl.Properties.Props.SessionExpiryInterval,
			Queued:        cl.State.Inflight.Len(),
		}
		ss.Will = s.heldWills.of(cl)
		for _, sub := range cl.State.Subscriptions.GetAll() {
			ss.Subscriptions = append(ss.Subscriptions, Subscription{Filter: sub.Filter, QoS: sub.Qos})
		}
		sort.Slice(ss.Subscriptions, func(i, j int) bool { return ss.Subscriptions[i].Filter < ss.Subscriptions[j].Filter })
		out = append(out, ss)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out
}

// RetainedMessage is the retained message the broker holds on a topic.
type RetainedMessage struct {
	Topic    string
	Payload  []byte
	QoS      byte
	ClientID string // the client that published it; empty when Platform
	Platform bool   // set by courselab itself (REST, simulator, checks)
	Time     time.Time
}

// Retained returns the retained message on topic (an exact topic name), if any.
func (s *Sandbox) Retained(topic string) (RetainedMessage, bool) {
	pk, ok := s.server.Topics.Retained.Get(topic)
	if !ok || len(pk.Payload) == 0 {
		return RetainedMessage{}, false
	}
	m := RetainedMessage{Topic: pk.TopicName, Payload: append([]byte(nil), pk.Payload...),
		QoS: pk.FixedHeader.Qos, Time: time.Unix(pk.Created, 0).UTC()}
	if pk.Origin == mqtt.InlineClientId {
		m.Platform = true
	} else {
		m.ClientID = pk.Origin
	}
	return m, true
}
