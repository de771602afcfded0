package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkRecordCheck measures what synchronous=FULL costs over NORMAL,
// for one learner pressing Check after another (sequential) and for 100
// learners pressing it at once (parallel, 50 goroutines per CPU).
//
//	go test -run '^$' -bench RecordCheck -benchtime 2s ./internal/store/
func BenchmarkRecordCheck(b *testing.B) {
	evidence := json.RawMessage(`{"client":"learner-1","filter":"devices/ESPDEVICE/#","at":"2026-03-01T09:00:00Z"}`)
	for _, sync := range []string{"NORMAL", "FULL"} {
		open := func(b *testing.B, learners int) *Store {
			b.Helper()
			ctx := context.Background()
			s, err := openSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"), options{synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			for i := range learners {
				if _, err := s.EnsureLearner(ctx, fmt.Sprint("l", i), "x"); err != nil {
					b.Fatal(err)
				}
			}
			return s
		}
		b.Run("sync="+sync+"/sequential", func(b *testing.B) {
			s := open(b, 1)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				r := ExerciseResult{Passed: i%3 == 0, Summary: "Missed the actuators.", Evidence: evidence}
				if err := s.RecordCheck(ctx, "l0", "mqtt", fmt.Sprint("ex", i%20), r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("sync="+sync+"/parallel", func(b *testing.B) {
			const learners = 100
			s := open(b, learners)
			var next atomic.Int64
			b.SetParallelism(50)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				learner := fmt.Sprint("l", next.Add(1)%learners)
				i := 0
				for pb.Next() {
					r := ExerciseResult{Passed: i%3 == 0, Summary: "Missed the actuators.", Evidence: evidence}
					if err := s.RecordCheck(ctx, learner, "mqtt", fmt.Sprint("ex", i%20), r); err != nil {
						b.Error(err) // Fatal is for the benchmark's own goroutine
						return
					}
					i++
				}
			})
		})
	}
}
