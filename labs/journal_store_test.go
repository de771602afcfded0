package labs

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

// Payloads wrap around the arena and details around their ring many times
// over while the oldest records go: every event kept reads back as added.
func TestJournalReadsBackWhatItKeptThroughManyWraps(t *testing.T) {
	j := newJournal()
	type added struct {
		payload string
		coach   string
		topic   string
	}
	want := map[uint64]added{}
	for i := range 20000 {
		a := added{payload: string(bytes.Repeat([]byte{byte('a' + i%26)}, i%300)), topic: fmt.Sprintf("t/%d", i%700)}
		e := Event{Kind: KindPublish, ClientID: fmt.Sprintf("c%d", i%5), Topic: a.topic, Payload: a.payload, QoS: 1,
			Detail: &MessageInfo{PacketID: uint16(i%60000 + 1)}}
		if i%7 == 0 {
			a.coach = fmt.Sprintf("coach %d", i)
			e.Detail = &MessageInfo{PacketID: uint16(i%60000 + 1), Coach: a.coach}
		}
		if i%11 == 0 {
			e = Event{Kind: KindSubscribe, ClientID: "s", Topic: a.topic, Detail: &SubscribeInfo{Filters: []FilterResult{{Filter: a.topic}}}}
			a.payload, a.coach = "", ""
		}
		a.payload = string(payloadExcerpt([]byte(a.payload)))
		got := j.Add(e)
		want[got.Seq] = a
		if b := j.Bytes(); b > JournalBytes {
			t.Fatalf("after %d events the journal holds %d bytes, over its budget of %d", i+1, b, JournalBytes)
		}
	}
	kept := j.Since(0)
	if len(kept) < 250 || kept[len(kept)-1].Seq != 20000 { // some 330 bytes each: a payload of 150 on average, a topic of its own
		t.Fatalf("kept %d events, the newest %d", len(kept), kept[len(kept)-1].Seq)
	}
	for _, e := range kept {
		a := want[e.Seq]
		if e.Payload != a.payload || e.Topic != a.topic || e.Coach() != a.coach {
			t.Fatalf("event %d reads back payload %q topic %q coach %q, want %q %q %q", e.Seq, e.Payload, e.Topic, e.Coach(), a.payload, a.topic, a.coach)
		}
		if e.Kind == KindSubscribe && e.Subscribe().Filters[0].Filter != a.topic {
			t.Fatalf("event %d has the detail of another: %+v", e.Seq, e.Subscribe())
		}
		if e.Kind == KindPublish && e.Message().PacketID != uint16((e.Seq-1)%60000+1) {
			t.Fatalf("event %d has packet id %d", e.Seq, e.Message().PacketID)
		}
	}
}

// What Bytes reports is what the journal holds: filled journals take that
// much of the heap (within a quarter, the allocator's rounding), never more
// than their budget, and give it back when they go.
func TestJournalBytesAreTheHeapItHolds(t *testing.T) {
	const journals = 40
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	js := make([]*Journal, journals)
	reported := 0
	payload := []byte(`{"value": 21.5, "unit": "°C"}`)
	for k := range js {
		j := newJournal()
		for i := range 5000 { // a burst: far more than the budget keeps
			j.addMessage(&message{kind: KindPublish, clientID: "sensor-pub", topic: fmt.Sprintf("devices/D%d/sensors/TC/value", i%20),
				payload: payload, qos: 1, packetID: uint16(i + 1), ack: 4}, nil)
			j.addMessage(&message{kind: KindDeliver, clientID: "sensor-sub", topic: fmt.Sprintf("devices/D%d/sensors/TC/value", i%20),
				payload: payload, qos: 1, packetID: uint16(i + 1)}, nil)
			j.acked(KindDeliver, "sensor-sub", uint16(i+1), 4)
		}
		js[k] = j
		reported += j.Bytes()
	}
	held := int(heap() - before)
	t.Logf("%d journals: %d bytes reported, %d bytes of heap (%d each)", journals, reported, held, held/journals)
	if reported > journals*JournalBytes {
		t.Fatalf("the journals report %d bytes, over %d budgets", reported, journals)
	}
	if held > reported*5/4 || held < reported*3/4 {
		t.Fatalf("the journals hold %d bytes of heap, but report %d", held, reported)
	}
	runtime.KeepAlive(js)
	js = nil
	if after := heap(); after > before+64<<10 {
		t.Fatalf("the heap kept %d bytes after the journals went", after-before)
	}
}

// BenchmarkJournalQoS1Message is the journal's work for one QoS 1 message
// through a sandbox: its publish (acknowledged already), its delivery and
// the subscriber's PUBACK, on a full journal.
// Run: go test -run '^$' -bench JournalQoS1Message -benchmem ./labs/
func BenchmarkJournalQoS1Message(b *testing.B) {
	j := newJournal()
	payload := []byte(`{"value":21.5}`)
	msg := func(i int) {
		id := uint16(i%65000 + 1)
		j.addMessage(&message{kind: KindPublish, clientID: "pub", topic: "devices/ESPDEVICE/sensors/TC/value", payload: payload, qos: 1, packetID: id, ack: 4}, nil)
		j.addMessage(&message{kind: KindDeliver, clientID: "sub", topic: "devices/ESPDEVICE/sensors/TC/value", payload: payload, qos: 1, packetID: id}, nil)
		j.acked(KindDeliver, "sub", id, 4)
	}
	for i := range 5000 {
		msg(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		msg(i)
		i++
	}
}

// An acknowledgement finds its delivery however it races it, and whatever
// the length of the client id (the journal keeps it cut).
func TestAcknowledgementsFindTheirDelivery(t *testing.T) {
	long := string(bytes.Repeat([]byte("c"), 3*NameExcerpt))
	for _, c := range []struct {
		name     string
		clientID string
		early    bool
	}{{"after", "sub", false}, {"before", "sub", true}, {"long client id", long, false}, {"long client id, before", long, true}} {
		t.Run(c.name, func(t *testing.T) {
			j := newJournal()
			deliver := &message{kind: KindDeliver, clientID: c.clientID, topic: "t", qos: 2, packetID: 9}
			if c.early {
				j.acked(KindDeliver, c.clientID, 9, 5) // PUBREC
			}
			j.addMessage(deliver, nil)
			if !c.early {
				j.acked(KindDeliver, c.clientID, 9, 5)
			}
			j.acked(KindDeliver, c.clientID, 9, 7) // PUBCOMP
			j.acked(KindDeliver, c.clientID, 9, 4) // a stray PUBACK for an ended exchange: nothing to change
			evs := j.Since(0)
			if len(evs) != 1 || evs[0].Message().Ack != "PUBCOMP" || evs[0].Message().AckedAt.Before(evs[0].Time) {
				t.Fatalf("journal %+v, want one delivery ended by PUBCOMP", evs)
			}
			if len(j.main.open) != 0 {
				t.Fatalf("%d exchanges still open", len(j.main.open))
			}
		})
	}
}
