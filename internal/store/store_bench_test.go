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

// BenchmarkEngines compares PostgreSQL with SQLite (the anchor, measured
// in the same run) for a Check (RecordCheck) and for a progress read
// (Progress: the learner's progress page), one learner after another
// (sequential) and 100 learners at once (parallel). Each engine runs with
// its durable settings: SQLite synchronous=FULL, PostgreSQL
// synchronous_commit=on. PostgreSQL is the one in COURSELAB_TEST_DATABASE,
// or a throwaway one (which runs with fsync=off: point
// COURSELAB_TEST_DATABASE at a server with fsync on for figures that
// include the disk).
//
//	go test -run '^$' -bench Engines -benchtime 2s ./internal/store/
func BenchmarkEngines(b *testing.B) {
	evidence := json.RawMessage(`{"client":"learner-1","filter":"devices/ESPDEVICE/#","at":"2026-03-01T09:00:00Z"}`)
	const learners = 100
	for _, e := range engines {
		open := func(b *testing.B) *Store {
			b.Helper()
			ctx := context.Background()
			s, err := Open(ctx, e.target(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			for i := range learners {
				id := fmt.Sprint("l", i)
				if _, err := s.EnsureLearner(ctx, id, "x"); err != nil {
					b.Fatal(err)
				}
				// A learner halfway through the course: 10 sections, 5
				// quizzes, 5 exercises.
				for j := range 10 {
					if err := s.MarkSectionRead(ctx, id, "mqtt", fmt.Sprint("s", j)); err != nil {
						b.Fatal(err)
					}
				}
				for j := range 5 {
					if err := s.SaveQuizAnswer(ctx, id, "mqtt", fmt.Sprint("q", j), []string{"a"}, true); err != nil {
						b.Fatal(err)
					}
					if err := s.RecordCheck(ctx, id, "mqtt", fmt.Sprint("ex", j), ExerciseResult{Passed: true, Summary: "Solved.", Evidence: evidence}); err != nil {
						b.Fatal(err)
					}
				}
			}
			return s
		}
		b.Run(e.name, func(b *testing.B) {
			s := open(b)
			b.Run("RecordCheck/sequential", func(b *testing.B) {
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
			b.Run("RecordCheck/parallel", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(50)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					learner := fmt.Sprint("l", next.Add(1)%learners)
					i := 0
					for pb.Next() {
						r := ExerciseResult{Passed: i%3 == 0, Summary: "Missed the actuators.", Evidence: evidence}
						if err := s.RecordCheck(ctx, learner, "mqtt", fmt.Sprint("ex", i%20), r); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
			})
			b.Run("Progress/sequential", func(b *testing.B) {
				ctx := context.Background()
				i := 0
				for b.Loop() {
					if _, err := s.Progress(ctx, fmt.Sprint("l", i%learners)); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("Progress/parallel", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(50)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					learner := fmt.Sprint("l", next.Add(1)%learners)
					for pb.Next() {
						if _, err := s.Progress(ctx, learner); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
