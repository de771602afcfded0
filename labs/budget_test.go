package labs_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// leaveSession connects a persistent MQTT 5 session subscribed to filter
// at QoS 1, then disconnects, leaving the session offline in the broker.
func leaveSession(t *testing.T, l *labs.Labs, addr, id, filter string) {
	t.Helper()
	expiry := uint32(3600)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: id, CleanStart: false,
		Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}})
	c.Sub(t, filter, 1)
	_ = c.Disconnect(&paho.Disconnect{})
	<-c.Done()
	sb := l.Lookup(labs.PersonalLearner)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == id })
}

func sessionIDs(sb *labs.Sandbox) []string {
	var ids []string
	for _, s := range sb.Sessions() {
		ids = append(ids, s.ClientID)
	}
	return ids
}

func TestSessionBudgetExpiresTheOldestOfflineSession(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{Clients: 2, Sessions: 3}})
	addr := labtest.StartFront(t, l)
	for _, id := range []string{"s1", "s2", "s3"} {
		leaveSession(t, l, addr, id, "news")
	}
	sb := l.Lookup(labs.PersonalLearner)
	if got := sessionIDs(sb); len(got) != 3 {
		t.Fatalf("sessions %v, want s1 s2 s3", got)
	}
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "s4", CleanStart: true})
	e := labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "sessions" })
	if e.ClientID != "s1" || !strings.Contains(e.Limit().Message, `"s1", expired`) {
		t.Fatalf("journal line %+v does not say that s1 expired", e)
	}
	if got := strings.Join(sessionIDs(sb), " "); got != "s2 s3 s4" {
		t.Fatalf("sessions %q after a 4th over a budget of 3, want the oldest offline one (s1) expired", got)
	}
	// The news no longer queues for s1.
	if err := sb.Publish("news", []byte("n"), 1, false); err != nil {
		t.Fatal(err)
	}
	for _, s := range sb.Sessions() {
		if s.ClientID == "s1" {
			t.Fatal("s1 still holds a session")
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestHoardedSessionsStayWithinTheQueuedBytesBudget is the issue's
// reproduction: 10 offline sessions and 300 publishes of 64 KiB each used to
// add some 230 MB to the server.
func TestHoardedSessionsStayWithinTheQueuedBytesBudget(t *testing.T) {
	l, addr := personalLab(t)
	budget := l.Config().Limits.QueuedBytes
	for i := range 10 {
		leaveSession(t, l, addr, fmt.Sprintf("hoard-%02d", i), "hoard")
	}
	before := heapInUse()
	pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "publisher", CleanStart: true})
	payload := bytes.Repeat([]byte("x"), 64<<10-64) // the largest that fits a 64 KiB packet
	for range 300 {
		if _, err := pub.Publish(t.Context(), &paho.Publish{Topic: "hoard", QoS: 1, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	sb := l.Lookup(labs.PersonalLearner)
	grew := int64(heapInUse()) - int64(before)
	queued := sb.QueuedBytes()
	t.Logf("queued %d bytes (budget %d); heap grew by %.1f MB; sessions left: %v", queued, budget, float64(grew)/1e6, sessionIDs(sb))
	if queued > int64(budget) {
		t.Fatalf("%d bytes queued, over the budget of %d", queued, budget)
	}
	if grew > int64(4*budget) {
		t.Fatalf("the heap grew by %.1f MB for a budget of %.1f MB", float64(grew)/1e6, float64(budget)/1e6)
	}
	// Each session alone would hold 300 × 64 KiB: one after the other, oldest
	// first, they expire; the journal says so.
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindLimit && e.Limit().Limit == "queued-bytes" &&
			strings.Contains(e.Limit().Message, "the oldest offline session")
	})
}

func TestQueuedBytesBudgetExpiresOfflineSessionsOldestFirst(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{QueuedBytes: 1 << 20}})
	addr := labtest.StartFront(t, l)
	for _, id := range []string{"old", "mid", "new"} {
		leaveSession(t, l, addr, id, "hoard")
	}
	sb := l.Lookup(labs.PersonalLearner)
	payload := bytes.Repeat([]byte("x"), 60<<10)
	for i := 0; i < 6; i++ { // 3 sessions × 6 × 60 KiB: over 1 MiB by the 6th
		if err := sb.Publish("hoard", payload, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(sessionIDs(sb), " "); got != "mid new" {
		t.Fatalf("sessions %q; want the oldest offline one (old) expired, the others kept", got)
	}
	e := labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "queued-bytes" })
	if e.ClientID != "old" || !strings.Contains(e.Limit().Message, `"old", expired with its`) {
		t.Fatalf("journal line %+v does not say that old expired", e)
	}
}

func TestClientThatNeverAcknowledgesIsDisconnectedPastTheQueuedBytesBudget(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{QueuedBytes: 1 << 20}})
	addr := labtest.StartFront(t, l)
	r, _ := labtest.RawDial(t, addr, labtest.RawConnect(5, "hoarder", "", "", true))
	r.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
		Filters: packets.Subscriptions{{Filter: "big", Qos: 1}}})
	sb := l.Lookup(labs.PersonalLearner)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindSubscribe && e.ClientID == "hoarder" })
	payload := bytes.Repeat([]byte("x"), 60<<10)
	for range 20 { // 1.2 MiB that the client receives and never acknowledges
		if err := sb.Publish("big", payload, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	for {
		pk, err := r.Read()
		if err != nil {
			t.Fatalf("no DISCONNECT 0x97: %v", err)
		}
		if pk.FixedHeader.Type == packets.Disconnect {
			if pk.ReasonCode != packets.ErrQuotaExceeded.Code {
				t.Fatalf("DISCONNECT %#x, want 0x97 (quota exceeded)", pk.ReasonCode)
			}
			break
		}
	}
	if q := sb.QueuedBytes(); q > 1<<20 {
		t.Fatalf("%d bytes still queued", q)
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "queued-bytes-client" })
}
