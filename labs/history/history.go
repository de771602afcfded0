// Package history reads a sandbox's journal as what a learner asks of it:
// the messages published, searched by topic filter and time, and the topic
// tree (per topic its last message, count, rate and retained state). It
// holds nothing of its own: the journal, bounded by the sandbox's byte
// budget (labs.JournalBytes), is the history, so the history is bounded
// the same way.
package history

import (
	"fmt"
	"sort"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/topic"
)

// PlatformClient names courselab's own publisher (REST writes, simulator,
// checks) where a client id would stand.
const PlatformClient = "courselab"

// Message is one published message of the history.
type Message struct {
	At      time.Time `json:"at"`
	Client  string    `json:"client"` // the publisher's client id, or PlatformClient
	Topic   string    `json:"topic"`
	QoS     byte      `json:"qos"`
	Retain  bool      `json:"retain"`
	Payload string    `json:"payload"`         // an excerpt (labs.PayloadExcerpt bytes), hex when not UTF-8
	Coach   string    `json:"coach,omitempty"` // the protocol coach's explanation, if any
}

// Query selects messages: those on topics Filter matches (all when empty)
// published at or after Since (all when zero).
type Query struct {
	Filter string
	Since  time.Time
}

// Check says in plain words what is wrong with q, or nil.
func (q Query) Check() error {
	if q.Filter == "" {
		return nil
	}
	if err := topic.ValidFilter(q.Filter); err != nil {
		return fmt.Errorf("the topic filter is not valid: %w", err)
	}
	return nil
}

// Messages returns the published messages among evs that q selects,
// oldest first.
func Messages(evs []labs.Event, q Query) []Message {
	out := []Message{}
	for _, e := range evs {
		if e.Kind != labs.KindPublish || !selected(e, q) {
			continue
		}
		out = append(out, messageOf(e))
	}
	return out
}

// Events returns the journal lines among evs that q selects: those at or
// after q.Since, and, when q.Filter is set, only those on a matching topic.
func Events(evs []labs.Event, q Query) []labs.Event {
	out := []labs.Event{}
	for _, e := range evs {
		if selected(e, q) {
			out = append(out, e)
		}
	}
	return out
}

func selected(e labs.Event, q Query) bool {
	if !q.Since.IsZero() && e.Time.Before(q.Since) {
		return false
	}
	return q.Filter == "" || e.Topic != "" && topic.Matches(q.Filter, e.Topic)
}

func messageOf(e labs.Event) Message {
	m := Message{At: e.Time, Client: e.ClientID, Topic: e.Topic, QoS: e.QoS, Retain: e.Retain, Payload: e.Payload}
	if e.Platform {
		m.Client = PlatformClient
	}
	m.Coach = e.Coach()
	return m
}

// RateWindow is the span over which Topic.Rate counts messages.
const RateWindow = time.Minute

// Topic is one topic of the tree.
type Topic struct {
	Topic         string    `json:"topic"`
	Count         int       `json:"count"`          // messages published on it that the journal still holds
	Rate          float64   `json:"rate"`           // messages per minute over the last RateWindow
	Retained      bool      `json:"retained"`       // a retained message stands there now
	LastPayload   string    `json:"last_payload"`   // "" when only its retained message is known
	LastQoS       byte      `json:"last_qos"`       //
	LastPublisher string    `json:"last_publisher"` // client id or PlatformClient
	LastAt        time.Time `json:"last_at,omitzero"`
	Coach         string    `json:"coach,omitempty"` // the coach's explanation of its last publish
}

// Tree returns the sandbox's topics, sorted by name: those published on in
// evs and those in retained (the topic names holding a retained message
// now), with now the time rates are counted back from.
func Tree(evs []labs.Event, retained []string, now time.Time) []Topic {
	by := map[string]*Topic{}
	get := func(name string) *Topic {
		t := by[name]
		if t == nil {
			t = &Topic{Topic: name}
			by[name] = t
		}
		return t
	}
	for _, e := range evs {
		if e.Kind != labs.KindPublish || e.Topic == "" {
			continue
		}
		m := messageOf(e)
		t := get(m.Topic)
		t.Count++
		if now.Sub(m.At) <= RateWindow {
			t.Rate++
		}
		t.LastPayload, t.LastQoS, t.LastPublisher, t.LastAt, t.Coach = m.Payload, m.QoS, m.Client, m.At, m.Coach
	}
	for _, name := range retained {
		get(name).Retained = true
	}
	out := make([]Topic, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}
