package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// fullJournal is what a sandbox's journal keeps of more publishes over
// 1,000 topics than its budget (labs.JournalBytes) holds: the size the
// topic tree must stay quick at.
func fullJournal(b *testing.B) []labs.Event {
	sb, err := labtest.NewLabs(b, labs.Config{}).Sandbox("bench", labs.Setup{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	const n = 4000
	for i := range n {
		sb.Journal().Add(labs.Event{Time: now.Add(time.Duration(i-n) * time.Millisecond), Kind: labs.KindPublish,
			ClientID: "sensor", Topic: fmt.Sprintf("devices/D%02d/sensors/S%02d/value", i%1000/50, i%50), Payload: `{"value": 21.5}`})
	}
	evs := sb.Journal().Since(0)
	b.Logf("a full journal: %d publishes over %d topics", len(evs), min(len(evs), 1000))
	return evs
}

// BenchmarkTree1000Topics builds /api/lab/topics' tree from a full journal.
// Run: go test -run '^$' -bench . ./labs/history/
func BenchmarkTree1000Topics(b *testing.B) {
	evs := fullJournal(b)
	b.ReportAllocs()
	for b.Loop() {
		if n := len(Tree(evs, nil, time.Now())); n != min(len(evs), 1000) {
			b.Fatalf("%d topics", n)
		}
	}
}

// BenchmarkHistoryFiltered is /api/lab/history?filter=devices/+/sensors/S07/value on a full journal.
func BenchmarkHistoryFiltered(b *testing.B) {
	evs := fullJournal(b)
	q := Query{Filter: "devices/+/sensors/S07/value"}
	for b.Loop() {
		if n := len(Messages(evs, q)); n == 0 {
			b.Fatal("nothing matched")
		}
	}
}
