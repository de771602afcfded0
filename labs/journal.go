package labs

import (
	"context"
	"encoding/hex"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// JournalBytes is a sandbox's byte budget for its journal, which is also
// its message history and topic tree (labs/history reads them from the
// journal): the memory the journal holds, counted from what it holds (its
// arrays' capacities, its strings, its details), never more. Past it the
// oldest events go. A publish or delivery takes 48 bytes plus its payload
// excerpt, so a busy sandbox keeps some 1,000–2,000 of them.
const JournalBytes = 128 << 10

// NoiseSize is how many refusals and platform REST calls a journal keeps, in
// a store of their own (noiseBytes of the budget): a stranger's wrong
// passwords and the lab console's own requests must never push the learner's
// evidence out.
const NoiseSize = 64

// noiseBytes is the part of JournalBytes the noise store may hold.
const noiseBytes = 16 << 10

// PayloadExcerpt is how many payload bytes an Event keeps.
const PayloadExcerpt = 256

// Bounds of the other strings an Event keeps: every one of them may come
// from a client (a 64 KiB client id or topic is valid MQTT).
const (
	NameExcerpt = 256 // client ids, topics, filters, usernames
	TextExcerpt = 512 // reasons, messages and other text in Detail
)

// subscriberBuffer is the channel size of a live subscription: enough for a
// burst while the console's SSE writer catches up.
const subscriberBuffer = 256

// Journal is a sandbox's bounded event log. Writers never block: a live
// subscriber that falls behind loses events (counted in Dropped) rather than
// slowing the broker.
type Journal struct {
	mu      sync.Mutex
	main    store // the learner's own events and the platform's publishes
	noise   store // refusals and the platform's REST calls (Event.noise)
	seq     uint64
	subs    map[chan Event]struct{}
	closed  bool
	done    chan struct{} // closed with the sandbox, so subscription goroutines end
	dropped atomic.Uint64
	early   []earlyAck // acknowledgements that came before their message (see acked)
}

func newJournal() *Journal {
	j := &Journal{done: make(chan struct{}), main: newStore(JournalBytes - noiseBytes), noise: newStore(noiseBytes)}
	j.noise.maxRecords = NoiseSize
	return j
}

// noise reports whether e goes to the small store of its own: nothing a
// check counts as the learner's evidence.
func (e Event) noise() bool {
	return e.Kind == KindRefused || e.Kind == KindREST && e.Platform
}

// Add records e, filling Seq and Time (unless set), and returns it as stored:
// strings cut to their bounds (NameExcerpt, TextExcerpt), the payload to
// PayloadExcerpt bytes.
func (j *Journal) Add(e Event) Event {
	at := time.Now()
	if !e.Time.IsZero() {
		at = e.Time
	}
	m := message{kind: e.Kind, clientID: e.ClientID, topic: e.Topic, qos: e.QoS, retain: e.Retain, platform: e.Platform}
	d := e.Detail
	if d != nil {
		d = d.clipped()
	}
	if mi, ok := d.(*MessageInfo); ok {
		// The exchange goes in the record; only the rarer parts stay a detail.
		m.packetID, m.dup, m.ack = mi.PacketID, mi.Dup, ackType(mi.Ack)
		if !mi.AckedAt.IsZero() {
			m.ackedAt = mi.AckedAt
		}
		d = nil
		if mi.Coach != "" || mi.DelayedS != 0 {
			d = &MessageInfo{Coach: mi.Coach, DelayedS: mi.DelayedS}
		}
	}
	m.payload = payloadExcerpt([]byte(e.Payload))
	j.mu.Lock()
	defer j.mu.Unlock()
	s := &j.main
	if e.noise() {
		s = &j.noise
	}
	r := j.put(s, &m, at, d)
	return s.event(r)
}

// message is a journal line given as its parts, so that the broker's hooks
// journal a PUBLISH without building an Event (see journalHook).
type message struct {
	kind, clientID, topic string
	payload               []byte // the excerpt (payloadExcerpt)
	qos                   byte
	retain, platform, dup bool
	packetID              uint16
	ack                   byte      // the packet type of the acknowledgement the exchange has had, if any
	ackedAt               time.Time // when; zero for the time of the message
}

// addMessage records a publish, delivery or will; d is nil or a
// *MessageInfo with the rarer parts (a coach text, a will delay).
func (j *Journal) addMessage(m *message, d EventDetail) {
	at := time.Now()
	if d != nil {
		d = d.clipped()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.put(&j.main, m, at, d)
}

// put stores m in s and sends it to the live subscribers; j.mu is held.
func (j *Journal) put(s *store, m *message, at time.Time, d EventDetail) *record {
	j.seq++
	r := record{seq: j.seq, at: at.UnixNano(), qos: m.qos, packetID: m.packetID, ack: m.ack,
		kind: s.strs.ref(m.kind), client: s.strs.ref(clip(m.clientID, NameExcerpt)), topic: s.strs.ref(clip(m.topic, NameExcerpt))}
	if m.platform {
		r.flags |= flagPlatform
	}
	if m.retain {
		r.flags |= flagRetain
	}
	if m.dup {
		r.flags |= flagDup
	}
	if m.ack != 0 && !m.ackedAt.IsZero() {
		r.ackMs = ackDelay(at, m.ackedAt)
	}
	s.push(r, m.payload, d)
	last := s.at(s.n - 1)
	j.notify(s, last, false)
	if len(j.early) > 0 && m.packetID != 0 {
		j.applyEarly(s, last, m)
	}
	return last
}

// acked folds an acknowledgement (packet, a PUBACK, PUBREC, PUBREL or
// PUBCOMP that did not refuse) into the exchange it belongs to: the open
// exchange of kind (KindPublish for those a client started, KindDeliver
// for those the broker started) of clientID with packetID. Live
// subscribers get the message again, Revised. The broker journals a
// delivery after writing it, so the client's answer may come first: it
// waits (in early) for its message.
func (j *Journal) acked(kind, clientID string, packetID uint16, packet byte) {
	at := time.Now()
	j.mu.Lock()
	defer j.mu.Unlock()
	s := &j.main
	k, _ := s.strs.lookup(kind)
	c, _ := s.strs.lookup(clip(clientID, NameExcerpt)) // as put keeps it
	x := exchange{k, c, packetID}
	seq, ok := s.open[x]
	if !ok || k == 0 || c == 0 {
		if len(j.early) == earlyAcks {
			j.early = j.early[1:]
		}
		j.early = append(j.early, earlyAck{kind: kind, clientID: clientID, packetID: packetID, packet: packet, at: at})
		return
	}
	if i := s.search(seq - 1); i < s.n && s.at(i).seq == seq {
		j.ack(s, s.at(i), packet, at)
	}
}

// ack records packet as r's latest acknowledgement, closing its exchange
// when packet ends it; j.mu is held.
func (j *Journal) ack(s *store, r *record, packet byte, at time.Time) {
	r.ack, r.ackMs = packet, ackDelay(time.Unix(0, r.at), at)
	if ended(packet) {
		s.close(exchange{r.kind, r.client, r.packetID}, r.seq)
	}
	j.notify(s, r, true)
}

// earlyAck is an acknowledgement that came before its message was journalled.
type earlyAck struct {
	kind, clientID string
	packetID       uint16
	packet         byte
	at             time.Time
}

// earlyAcks bounds the acknowledgements waiting for their message, and
// earlyWait how long one waits: the race lasts a moment; an older one
// answered nothing the journal holds (packet ids are reused, so it must not
// end a later exchange).
const (
	earlyAcks = 8
	earlyWait = time.Second
)

// applyEarly gives r the acknowledgements that came before it; j.mu is held.
func (j *Journal) applyEarly(s *store, r *record, m *message) {
	kept := j.early[:0]
	for _, a := range j.early {
		if time.Unix(0, r.at).Sub(a.at) > earlyWait {
			continue
		}
		if a.packetID == m.packetID && a.kind == m.kind && a.clientID == m.clientID {
			j.ack(s, r, a.packet, a.at)
		} else {
			kept = append(kept, a)
		}
	}
	clear(j.early[len(kept):])
	j.early = kept
}

// ackDelay is the time from a message to its acknowledgement in whole
// milliseconds, as a record keeps it.
func ackDelay(from, to time.Time) uint32 {
	return uint32(min(max(to.Sub(from).Milliseconds(), 0), math.MaxUint32))
}

// notify sends r to the live subscribers; j.mu is held.
func (j *Journal) notify(s *store, r *record, revised bool) {
	if len(j.subs) == 0 {
		return
	}
	e := s.event(r)
	e.Revised = revised
	for ch := range j.subs {
		select {
		case ch <- e:
		default:
			j.dropped.Add(1)
		}
	}
}

// Since returns the kept events with Seq greater than seq, oldest first.
func (j *Journal) Since(seq uint64) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	a, b := &j.main, &j.noise
	i, k := a.search(seq), b.search(seq)
	out := make([]Event, 0, a.n-i+b.n-k)
	for i < a.n || k < b.n {
		if k == b.n || i < a.n && a.at(i).seq < b.at(k).seq {
			out = append(out, a.event(a.at(i)))
			i++
		} else {
			out = append(out, b.event(b.at(k)))
			k++
		}
	}
	return out
}

// Bytes is the memory the journal holds (see JournalBytes).
func (j *Journal) Bytes() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.main.bytes() + j.noise.bytes()
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

// payloadExcerpt is the start of a payload a journal keeps: at most
// PayloadExcerpt bytes, not cutting a UTF-8 rune in half.
func payloadExcerpt(b []byte) []byte {
	if len(b) > PayloadExcerpt {
		b = b[:PayloadExcerpt]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > PayloadExcerpt-4 {
			b = b[:len(b)-1] // do not cut a rune in half
		}
	}
	return b
}

// excerpt keeps the start of a payload readable in the console: hex when
// it is not UTF-8.
func excerpt(b []byte) string {
	b = payloadExcerpt(b)
	if utf8.Valid(b) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
