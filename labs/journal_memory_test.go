package labs_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// liveHeap is the heap still in use after two collections.
func liveHeap() int {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}

// A burst of QoS 1 messages through a sandbox leaves behind, once its
// clients have gone, no more than the journal's budget: the broker's state
// of the exchanges and clients goes with them, and the journal keeps to
// JournalBytes.
func TestABurstLeavesNoMoreThanTheJournalBudget(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{PublishRate: 1e6}})
	addr := labtest.StartFront(t, l)
	sb, err := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	if err != nil {
		t.Fatal(err)
	}
	burst := func(n int) {
		sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "burst-sub", CleanStart: true})
		sub.Sub(t, "burst/#", 1)
		pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "burst-pub", CleanStart: true})
		payload := strings.Repeat("x", 100)
		for i := range n {
			pub.Pub(t, fmt.Sprintf("burst/sensor-%d/value", i%20), payload, 1, false)
			select {
			case <-sub.Msgs:
			default:
			}
		}
		// Wait for the subscriber's last PUBACK, folded into its delivery.
		deadline := time.Now().Add(labtest.Wait)
		for !acked(sb) {
			if time.Now().After(deadline) {
				t.Fatal("the last delivery was not acknowledged")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = pub.Conn.Close()
		_ = sub.Conn.Close()
		for sb.Connected() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	burst(100) // the broker's pools and the journal's strings at their working size
	before := liveHeap()
	burst(4000)
	after := liveHeap()
	grown := after - before
	t.Logf("live heap grew %d bytes over a burst of 4,000 QoS 1 messages; the journal holds %d", grown, sb.Journal().Bytes())
	if b := sb.Journal().Bytes(); b > labs.JournalBytes {
		t.Fatalf("the journal holds %d bytes, over its budget of %d", b, labs.JournalBytes)
	}
	if grown > labs.JournalBytes {
		t.Fatalf("the live heap grew %d bytes over the burst, more than the journal's budget of %d", grown, labs.JournalBytes)
	}
}

// acked reports whether the journal's last delivery has its PUBACK.
func acked(sb *labs.Sandbox) bool {
	evs := sb.Journal().Since(0)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == labs.KindDeliver {
			return evs[i].Message().Ack == "PUBACK"
		}
	}
	return false
}
