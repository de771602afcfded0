package labs

import (
	"context"
	"encoding/hex"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// JournalSize is how many events a sandbox keeps; older ones are forgotten.
const JournalSize = 2000

// JournalBytes bounds the memory of a sandbox's journal (events as estimated
// by eventSize): a sandbox whose events are fat (long topics, client ids,
// payloads) keeps fewer of them, never more bytes. A typical publish or
// delivery costs about 200 bytes, so the bound holds some 1,400 of them;
// events with long strings, as few as 250.
const JournalBytes = 320 << 10

// NoiseSize is how many refusals and platform REST calls a journal keeps, in
// a ring of their own: a stranger's wrong passwords and the lab console's own
// requests must never push the learner's evidence out.
const NoiseSize = 64

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
	main    ring // the learner's own events and the platform's publishes
	noise   ring // refusals and the platform's REST calls (Event.noise)
	seq     uint64
	subs    map[chan Event]struct{}
	closed  bool
	done    chan struct{} // closed with the sandbox, so subscription goroutines end
	dropped atomic.Uint64
}

// noiseBytes is the part of JournalBytes the noise ring may hold.
const noiseBytes = 32 << 10

func newJournal() *Journal {
	return &Journal{
		done:  make(chan struct{}),
		main:  ring{maxEvents: JournalSize, maxBytes: JournalBytes - noiseBytes},
		noise: ring{maxEvents: NoiseSize, maxBytes: noiseBytes},
	}
}

// ring keeps events oldest first, forgetting the oldest past either bound.
// Its array grows lazily, up to maxEvents, so that an idle sandbox stays small.
type ring struct {
	buf       []Event // circular: n events from head
	head, n   int
	bytes     int
	maxEvents int
	maxBytes  int
}

func (r *ring) add(e Event) {
	if r.n == len(r.buf) {
		if len(r.buf) < r.maxEvents {
			grown := make([]Event, min(max(2*len(r.buf), 16), r.maxEvents))
			r.copyTo(grown)
			r.buf, r.head = grown, 0
		} else {
			r.dropOldest()
		}
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
	r.bytes += eventSize(e)
	for r.n > 1 && r.bytes > r.maxBytes {
		r.dropOldest()
	}
}

func (r *ring) dropOldest() {
	r.bytes -= eventSize(r.buf[r.head])
	r.buf[r.head] = Event{} // let the forgotten strings go
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// copyTo copies the kept events, oldest first, to dst (at least n long).
func (r *ring) copyTo(dst []Event) {
	if r.n == 0 {
		return
	}
	k := copy(dst, r.buf[r.head:min(r.head+r.n, len(r.buf))])
	copy(dst[k:r.n], r.buf[:r.n-k])
}

// after returns the kept events with Seq greater than seq, oldest first.
func (r *ring) after(seq uint64) []Event {
	i := sort.Search(r.n, func(i int) bool { return r.buf[(r.head+i)%len(r.buf)].Seq > seq })
	out := make([]Event, r.n-i)
	for k := range out {
		out[k] = r.buf[(r.head+i+k)%len(r.buf)]
	}
	return out
}

// noise reports whether e goes to the small ring of its own: nothing a check
// counts as the learner's evidence.
func (e Event) noise() bool {
	return e.Kind == KindRefused || e.Kind == KindREST && e.Platform
}

// Add records e, filling Seq and Time (unless set), and returns it as stored:
// strings cut to their bounds (NameExcerpt, TextExcerpt).
func (j *Journal) Add(e Event) Event {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.ClientID = clip(e.ClientID, NameExcerpt)
	e.Topic = clip(e.Topic, NameExcerpt)
	if e.Detail != nil {
		e.Detail = e.Detail.clipped()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if e.noise() {
		j.noise.add(e)
	} else {
		j.main.add(e)
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
	a, b := j.main.after(seq), j.noise.after(seq)
	if len(b) == 0 {
		return a
	}
	out := make([]Event, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0].Seq < b[0].Seq {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// Bytes is the journal's estimated memory (see JournalBytes).
func (j *Journal) Bytes() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.main.bytes + j.noise.bytes
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

// eventSize estimates the memory an Event holds: the struct, its strings and
// its detail. It need not be exact, only close, for JournalBytes.
func eventSize(e Event) int {
	n := 120 + len(e.ClientID) + len(e.Topic) + len(e.Payload)
	if e.Detail != nil {
		n += e.Detail.size()
	}
	return n
}
