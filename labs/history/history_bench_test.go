package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
)

// fullJournal is a journal's worth of publishes (labs.JournalSize) over
// 1,000 topics, the size the topic tree must stay quick at.
func fullJournal() []labs.Event {
	now := time.Now()
	evs := make([]labs.Event, labs.JournalSize)
	for i := range evs {
		evs[i] = labs.Event{Seq: uint64(i + 1), Time: now.Add(time.Duration(i-len(evs)) * time.Millisecond), Kind: labs.KindPublish,
			ClientID: "sensor", Topic: fmt.Sprintf("devices/D%02d/sensors/S%02d/value", i%1000/50, i%50), Payload: `{"value": 21.5}`}
	}
	return evs
}

// BenchmarkTree1000Topics builds /api/lab/topics' tree from a full journal.
// Run: go test -run '^$' -bench . ./labs/history/
func BenchmarkTree1000Topics(b *testing.B) {
	evs := fullJournal()
	b.ReportAllocs()
	for b.Loop() {
		if n := len(Tree(evs, nil, time.Now())); n != 1000 {
			b.Fatalf("%d topics", n)
		}
	}
}

// BenchmarkHistoryFiltered is /api/lab/history?filter=devices/+/sensors/S07/value on a full journal.
func BenchmarkHistoryFiltered(b *testing.B) {
	evs := fullJournal()
	q := Query{Filter: "devices/+/sensors/S07/value"}
	for b.Loop() {
		if n := len(Messages(evs, q)); n == 0 {
			b.Fatal("nothing matched")
		}
	}
}
