package labs

import (
	"context"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Event kinds recorded in a Journal.
const (
	KindConnect        = "connect"
	KindDisconnect     = "disconnect"
	KindSubscribe      = "subscribe"
	KindUnsubscribe    = "unsubscribe"
	KindPublish        = "publish"
	KindDeliver        = "deliver"
	KindAck            = "ack"
	KindWill           = "will"
	KindSessionResumed = "session-resumed"
	KindREST           = "rest"
	KindLimit          = "limit"
	KindRefused        = "refused"
	KindNotice         = "notice" // a sentence for the learner from the platform, in Detail["message"]
)

// Event is one thing that happened in a sandbox, as the lab console shows it
// and as exercise checks read it.
type Event struct {
	Seq      uint64         `json:"seq"`
	Time     time.Time      `json:"time"`
	Kind     string         `json:"kind"`
	ClientID string         `json:"client_id,omitempty"`
	Platform bool           `json:"platform,omitempty"` // published by courselab (REST, simulator, checks), not by a learner's client
	Topic    string         `json:"topic,omitempty"`
	Payload  string         `json:"payload,omitempty"` // an excerpt: the first PayloadExcerpt bytes, hex if not UTF-8
	QoS      byte           `json:"qos"`
	Retain   bool           `json:"retain,omitempty"`
	Detail   map[string]any `json:"detail,omitempty"`
}

// JournalSize is how many events a sandbox keeps; older ones are forgotten.
const JournalSize = 2000

// PayloadExcerpt is how many payload bytes an Event keeps.
const PayloadExcerpt = 256

// subscriberBuffer is the channel size of a live subscription: enough for a
// burst while the console's SSE writer catches up.
const subscriberBuffer = 256

// Journal is a sandbox's bounded event log. Writers never block: a live
// subscriber that falls behind loses events (counted in Dropped) rather than
// slowing the broker.
type Journal struct {
	mu      sync.Mutex
	events  []Event // ring, grown lazily so an idle sandbox stays small
	head    int     // index of the oldest event once the ring is full
	seq     uint64
	subs    map[chan Event]struct{}
	closed  bool
	done    chan struct{} // closed with the sandbox, so subscription goroutines end
	dropped atomic.Uint64
}

func newJournal() *Journal { return &Journal{done: make(chan struct{})} }

// Add records e, filling Seq and Time (unless set), and returns it as stored.
func (j *Journal) Add(e Event) Event {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if len(j.events) < JournalSize {
		j.events = append(j.events, e)
	} else {
		j.events[j.head] = e
		j.head = (j.head + 1) % JournalSize
	}
	for ch := range j.subs {
		select {
		case ch <- e:
		default:
			j.dropped.Add(1)
		}
	}
	return e
}

// Since returns the kept events with Seq greater than seq, oldest first.
func (j *Journal) Since(seq uint64) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.events)
	var out []Event
	for i := 0; i < n; i++ {
		e := j.events[(j.head+i)%n]
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

// LastSeq is the Seq of the newest event (0 when empty); a console starts
// streaming from it.
func (j *Journal) LastSeq() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// Dropped counts events that live subscribers missed because they were slow.
func (j *Journal) Dropped() uint64 { return j.dropped.Load() }

// Subscribe streams events added from now on until ctx ends or the sandbox is
// reclaimed; then the channel is closed.
func (j *Journal) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, subscriberBuffer)
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		close(ch)
		return ch
	}
	if j.subs == nil {
		j.subs = map[chan Event]struct{}{}
	}
	j.subs[ch] = struct{}{}
	j.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-j.done:
		}
		j.mu.Lock()
		defer j.mu.Unlock()
		if _, ok := j.subs[ch]; ok {
			delete(j.subs, ch)
			close(ch)
		}
	}()
	return ch
}

// close ends every live subscription; the context goroutines then find
// nothing left to close.
func (j *Journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	j.closed = true
	close(j.done)
	for ch := range j.subs {
		close(ch)
	}
	j.subs = nil
}

// excerpt keeps the start of a payload readable in the console.
func excerpt(b []byte) string {
	if len(b) > PayloadExcerpt {
		b = b[:PayloadExcerpt]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > PayloadExcerpt-4 {
			b = b[:len(b)-1] // do not cut a rune in half
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}
