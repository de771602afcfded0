package labs

import (
	"time"
	"unsafe"

	"github.com/mochi-mqtt/server/v2/packets"
)

// How the journal holds its events. An Event is what readers get: strings,
// a time.Time and a detail behind an interface, about 120 bytes before its
// strings. A busy sandbox journals thousands of messages whose client ids,
// topics and kinds repeat, so the journal keeps each event as a record of
// fixed size without pointers (the collector never scans the array), the
// strings once per store, the payload excerpts in a byte arena, and only the
// rarer details (connects, subscribes, coach texts…) as structs. An Event is
// built from its record only when read.

// record is one event as a store holds it.
type record struct {
	seq      uint64
	at       int64  // Unix nanoseconds
	kind     uint32 // strings held by the store's table (0 is "")
	client   uint32
	topic    uint32
	payload  uint32 // where the payload excerpt starts in the arena (it may wrap around its end)
	detail   uint32 // number of the detail in the store's details, 0 for none
	ackMs    uint32 // milliseconds from at to the latest acknowledgement
	payLen   uint16
	packetID uint16
	qos      byte
	flags    byte
	ack      byte // the packet type of the latest acknowledgement, 0 for none
}

const (
	flagPlatform = 1 << iota
	flagRetain
	flagDup
)

// recordBytes is the memory of one record slot.
const recordBytes = int(unsafe.Sizeof(record{}))

// store is a bounded, oldest-first sequence of records with the strings,
// payloads and details they point to. Every part grows lazily, so an idle
// sandbox stays small, and the whole never holds more than budget bytes:
// past it, the oldest records go. The record array and the payload arena
// share the budget as the events need (many small messages, or fewer
// large ones): a part that holds far less than its size shrinks, so that
// the other may grow.
type store struct {
	budget int

	recs       []record // circular: n records from head
	head, n    int
	maxRecords int // 0 for as many as the budget holds

	arena []byte // circular: aUsed bytes from aHead, the payloads of the records in their order
	aHead int
	aUsed int

	strs strtab

	details      []EventDetail // circular: the details of the kept records, oldest first
	dHead, dN    int
	dFirst       uint32 // number of the detail at dHead
	dNext        uint32 // number the next detail gets (never 0)
	detailsBytes int    // what the details point to (EventDetail.size)

	open     map[exchange]uint64 // the QoS 1 and 2 exchanges not ended yet, to the seq of their record
	openPeak int                 // most entries open held at once: the map keeps the room it grew to
}

// exchange names a QoS 1 or 2 exchange: the kind of its message (a publish
// the client started, a delivery the broker started), the client, the
// packet id.
type exchange struct {
	kind, client uint32
	packetID     uint16
}

// openEntryBytes is an entry's share of the open map (see mapEntryBytes).
const openEntryBytes = (12 + 8 + 1) * 8 / 7

// ended reports whether ack ends its exchange (PUBACK for QoS 1, PUBCOMP for 2).
func ended(ack byte) bool { return ack == packets.Puback || ack == packets.Pubcomp }

func newStore(budget int) store { return store{budget: budget, dNext: 1} }

// bytes is the memory the store holds: its arrays' capacities, the strings
// and the details.
func (s *store) bytes() int {
	return cap(s.recs)*recordBytes + cap(s.arena) + s.strs.bytes() +
		cap(s.details)*int(unsafe.Sizeof(EventDetail(nil))) + s.detailsBytes + s.openPeak*openEntryBytes
}

func (s *store) at(i int) *record { return &s.recs[(s.head+i)%len(s.recs)] }

// push appends r, its payload and its detail (nil for none); r's string
// references are already taken (see strtab.ref).
func (s *store) push(r record, payload []byte, d EventDetail) {
	if s.n == len(s.recs) {
		grown := s.grown(len(s.recs), 16, recordBytes)
		if s.maxRecords > 0 {
			grown = min(grown, s.maxRecords)
		}
		if grown > len(s.recs) {
			s.resizeRecords(grown)
		} else {
			s.dropOldest()
		}
	}
	if len(payload) > 0 {
		s.reserve(len(payload))
		at := (s.aHead + s.aUsed) % len(s.arena)
		r.payload, r.payLen = uint32(at), uint16(len(payload))
		if k := copy(s.arena[at:], payload); k < len(payload) {
			copy(s.arena, payload[k:])
		}
		s.aUsed += len(payload)
	}
	if d != nil {
		r.detail = s.pushDetail(d)
	}
	s.recs[(s.head+s.n)%len(s.recs)] = r
	s.n++
	if r.packetID != 0 && !ended(r.ack) {
		if s.open == nil {
			s.open = map[exchange]uint64{}
		}
		s.open[exchange{r.kind, r.client, r.packetID}] = r.seq
		s.openPeak = max(s.openPeak, len(s.open))
	}
	for s.n > 1 && s.bytes() > s.budget {
		// An arena a quarter empty gives room before any event goes.
		if free := len(s.arena) - s.aUsed; free >= len(s.arena)/4 && free >= s.bytes()-s.budget {
			s.resizeArena(s.aUsed + free/2)
			continue
		}
		s.dropOldest()
	}
	// A part that holds far less than its size gives the room back.
	if len(s.recs) > 64 && s.n < len(s.recs)/4 {
		s.resizeRecords(len(s.recs) / 2)
	}
	if len(s.arena) > 1024 && s.aUsed < len(s.arena)/4 {
		s.resizeArena(len(s.arena) / 2)
	}
}

// grown is the size a part of size size (of elem bytes each) may grow to:
// double (at least least), or what the budget has left; size when that is
// not a sixteenth more.
func (s *store) grown(size, least, elem int) int {
	want := max(2*size, least)
	if s.n == 0 {
		return want
	}
	room := (s.budget - s.bytes()) / elem
	if room < max(size/16, 1) {
		return size
	}
	return size + min(want-size, room)
}

func (s *store) resizeRecords(size int) {
	recs := make([]record, size)
	if s.n > 0 {
		k := copy(recs[:s.n], s.recs[s.head:])
		copy(recs[k:s.n], s.recs)
	}
	s.recs, s.head = recs, 0
}

// reserve makes room for n more payload bytes in the arena, growing it
// while the budget allows, else forgetting the oldest records.
func (s *store) reserve(n int) {
	for s.aUsed+n > len(s.arena) {
		if grown := s.grown(len(s.arena), 1024, 1); grown >= s.aUsed+n {
			s.resizeArena(grown)
			continue
		}
		if s.n == 0 {
			s.resizeArena(n) // a payload alone larger than what the budget leaves
			continue
		}
		s.dropOldest()
	}
}

// resizeArena moves the payloads to an arena of size bytes, the oldest at
// its start.
func (s *store) resizeArena(size int) {
	arena := make([]byte, size)
	if k := copy(arena[:s.aUsed], s.arena[s.aHead:]); k < s.aUsed {
		copy(arena[k:s.aUsed], s.arena)
	}
	for i := range s.n {
		if r := s.at(i); r.payLen > 0 {
			r.payload = uint32((int(r.payload) - s.aHead + len(s.arena)) % len(s.arena))
		}
	}
	s.arena, s.aHead = arena, 0
}

func (s *store) pushDetail(d EventDetail) uint32 {
	if s.dN == len(s.details) {
		grown := make([]EventDetail, max(2*len(s.details), 8))
		for i := range s.dN {
			grown[i] = s.details[(s.dHead+i)%len(s.details)]
		}
		s.details, s.dHead = grown, 0
	}
	if s.dN == 0 {
		s.dFirst = s.dNext
	}
	s.details[(s.dHead+s.dN)%len(s.details)] = d
	s.dN++
	s.detailsBytes += d.size()
	num := s.dNext
	s.dNext++
	if s.dNext == 0 {
		s.dNext = 1
	}
	return num
}

// detailOf is the detail number num, or nil.
func (s *store) detailOf(num uint32) EventDetail {
	if num == 0 || s.dN == 0 {
		return nil
	}
	i := int(num - s.dFirst)
	if num < s.dFirst { // the numbers wrapped past 0
		i--
	}
	if i < 0 || i >= s.dN {
		return nil
	}
	return s.details[(s.dHead+i)%len(s.details)]
}

func (s *store) dropOldest() {
	r := s.at(0)
	if r.packetID != 0 && !ended(r.ack) {
		s.close(exchange{r.kind, r.client, r.packetID}, r.seq)
	}
	s.strs.unref(r.kind)
	s.strs.unref(r.client)
	s.strs.unref(r.topic)
	if r.payLen > 0 {
		s.aHead = (int(r.payload) + int(r.payLen)) % len(s.arena)
		s.aUsed -= int(r.payLen)
	}
	if r.detail != 0 && s.dN > 0 {
		d := &s.details[s.dHead]
		s.detailsBytes -= (*d).size()
		*d = nil
		s.dHead = (s.dHead + 1) % len(s.details)
		s.dN--
		s.dFirst++
		if s.dFirst == 0 {
			s.dFirst = 1
		}
	}
	*r = record{}
	s.head = (s.head + 1) % len(s.recs)
	s.n--
	if s.n == 0 {
		s.aHead, s.aUsed = 0, 0
	}
}

// close forgets the open exchange x of the record seq.
func (s *store) close(x exchange, seq uint64) {
	if s.open[x] != seq {
		return // a newer exchange with the same packet id
	}
	delete(s.open, x)
	if len(s.open) == 0 && s.openPeak > 64 { // let a map grown by a burst go
		s.open, s.openPeak = nil, 0
	}
}

// search is the index of the first record with seq greater than seq.
func (s *store) search(seq uint64) int {
	lo, hi := 0, s.n
	for lo < hi {
		m := (lo + hi) / 2
		if s.at(m).seq > seq {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// event builds the Event of r.
func (s *store) event(r *record) Event {
	e := Event{Seq: r.seq, Time: time.Unix(0, r.at).UTC(), Kind: s.strs.str(r.kind), ClientID: s.strs.str(r.client),
		Topic: s.strs.str(r.topic), QoS: r.qos, Platform: r.flags&flagPlatform != 0, Retain: r.flags&flagRetain != 0}
	if r.payLen > 0 {
		b := make([]byte, r.payLen)
		if k := copy(b, s.arena[r.payload:]); k < len(b) {
			copy(b[k:], s.arena)
		}
		e.Payload = excerpt(b)
	}
	e.Detail = s.detailOf(r.detail)
	if r.packetID != 0 || r.ack != 0 || r.flags&flagDup != 0 {
		var m MessageInfo
		if d, ok := e.Detail.(*MessageInfo); ok {
			m = *d // its coach text or will delay
		}
		m.PacketID, m.Dup = r.packetID, r.flags&flagDup != 0
		if r.ack != 0 {
			m.Ack = ackName(r.ack)
			m.AckedAt = e.Time.Add(time.Duration(r.ackMs) * time.Millisecond)
		}
		e.Detail = &m
	}
	return e
}

// strtab keeps each string once, counted by the records that use it, and
// forgets it when the last one goes.
type strtab struct {
	ids  map[string]uint32
	strs []string // by id; id 0 is ""
	refs []uint32
	free []uint32
	data int // bytes of the strings themselves
	peak int // most strings held at once: the map keeps the room it grew to
}

// mapEntryBytes is a map slot's share of memory: key, value and control
// byte, at the map's 7/8 load.
const mapEntryBytes = (16 + 8 + 1) * 8 / 7

func (t *strtab) bytes() int {
	return t.data + t.peak*mapEntryBytes + cap(t.strs)*16 + cap(t.refs)*4 + cap(t.free)*4
}

// ref returns the id of s, counting one more user.
func (t *strtab) ref(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := t.ids[s]; ok {
		t.refs[id]++
		return id
	}
	if t.ids == nil {
		t.ids = map[string]uint32{}
		t.strs, t.refs = []string{""}, []uint32{0}
	}
	s = string([]byte(s)) // a copy of its own: s may be a slice of a packet's buffer
	var id uint32
	if n := len(t.free); n > 0 {
		id, t.free = t.free[n-1], t.free[:n-1]
		t.strs[id], t.refs[id] = s, 1
	} else {
		id = uint32(len(t.strs))
		t.strs, t.refs = append(t.strs, s), append(t.refs, 1)
	}
	t.ids[s] = id
	t.data += len(s)
	t.peak = max(t.peak, len(t.ids))
	return id
}

// lookup is the id of s without counting a user (0, false when not held).
func (t *strtab) lookup(s string) (uint32, bool) {
	id, ok := t.ids[s]
	return id, ok
}

func (t *strtab) unref(id uint32) {
	if id == 0 {
		return
	}
	t.refs[id]--
	if t.refs[id] > 0 {
		return
	}
	s := t.strs[id]
	delete(t.ids, s)
	t.data -= len(s)
	t.strs[id] = ""
	t.free = append(t.free, id)
	if len(t.ids) == 0 { // let an emptied table's arrays and map go
		*t = strtab{}
	}
}

func (t *strtab) str(id uint32) string {
	if id == 0 {
		return ""
	}
	return t.strs[id]
}
