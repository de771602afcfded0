package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentChecksShareCommitsAndKeepTheirOwnOutcome presses Check for
// 60 learners at once, with 10 Checks of unknown learners and 5 whose
// request was already cancelled among them: every known learner's result
// is stored (it survives closing and opening the database again), the
// others get their own error and take nothing with them. On SQLite the
// writes share commits (group commit) instead of one fsync each.
func TestConcurrentChecksShareCommitsAndKeepTheirOwnOutcome(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s, target := openTest(t, e)
		ctx := context.Background()
		const learners, ghosts, cancelled = 60, 10, 5
		for i := range learners {
			if _, err := s.EnsureLearner(ctx, fmt.Sprintf("l%d", i), fmt.Sprintf("Learner %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		done, stop := context.WithCancel(ctx)
		stop()
		before := s.commits.Load()
		errs := make([]error, learners+ghosts+cancelled)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				id, c := fmt.Sprintf("l%d", i), ctx
				switch {
				case i >= learners+ghosts:
					id, c = fmt.Sprintf("l%d", i-learners-ghosts), done
				case i >= learners:
					id = fmt.Sprintf("ghost%d", i)
				}
				errs[i] = s.RecordCheck(c, id, "mqtt_course", "all-device-values", ExerciseResult{Passed: true, Summary: "ok " + id})
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			switch {
			case i < learners && err != nil:
				t.Errorf("Check of l%d: %v", i, err)
			case i >= learners && i < learners+ghosts && !errors.Is(err, ErrNotFound):
				t.Errorf("Check of an unknown learner: got %v, want ErrNotFound", err)
			case i >= learners+ghosts && err == nil:
				t.Errorf("Check with a cancelled request was stored")
			}
		}
		if e.name == "sqlite" {
			if n := s.commits.Load() - before; n > int64(len(errs))/2 {
				t.Errorf("%d concurrent writes took %d commits: not grouped", len(errs), n)
			}
		}
		s.Close()
		s2, err := Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		for i := range learners {
			got, err := s2.ExerciseAttempts(ctx, fmt.Sprintf("l%d", i), "mqtt_course", "all-device-values")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !got[0].Passed || got[0].Summary != fmt.Sprintf("ok l%d", i) {
				t.Errorf("l%d after reopening: %+v, want the one passed Check", i, got)
			}
		}
	})
}
