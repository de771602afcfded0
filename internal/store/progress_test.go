package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestEnsureLearnerCreatesRenamesAndTouches(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		a, err := s.EnsureLearner(ctx, "ada", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.EnsureLearner(ctx, "ada", "Ada Lovelace")
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "Ada Lovelace" || !b.Created.Equal(a.Created) || !b.LastSeen.After(a.LastSeen) {
			t.Errorf("second EnsureLearner = %+v after %+v: want renamed, same Created, later LastSeen", b, a)
		}
		c, err := s.EnsureLearner(ctx, "ada", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Ada Lovelace" {
			t.Errorf("empty name replaced the name: %q", c.Name)
		}
		got, err := s.Learner(ctx, "ada")
		if err != nil || got != c {
			t.Errorf("Learner = %+v, %v; want %+v", got, err, c)
		}
		if _, err := s.Learner(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Learner(unknown) = %v, want ErrNotFound", err)
		}

		s.EnsureLearner(ctx, "bob", "Bob")
		s.EnsureLearner(ctx, "ada", "Ada") // must not move ada after bob
		ls, err := s.Learners(ctx)
		if err != nil || len(ls) != 2 || ls[0].ID != "ada" || ls[1].ID != "bob" {
			t.Errorf("Learners = %+v, %v; want ada then bob", ls, err)
		}
	})
}

func TestProgressRoundTrips(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		mustEnsure(t, s, "ada")
		check(t, s.MarkSectionRead(ctx, "ada", "mqtt", "intro"))
		first := mustProgress(t, s, "ada")["mqtt"].Sections["intro"]
		check(t, s.MarkSectionRead(ctx, "ada", "mqtt", "intro")) // idempotent
		check(t, s.MarkSectionRead(ctx, "ada", "mqtt", "hands-on"))
		check(t, s.MarkSectionRead(ctx, "ada", "http", "verbs"))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"b"}, false))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"a", "c"}, true))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "retain", nil, false))
		passAt := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		check(t, s.RecordCheck(ctx, "ada", "mqtt", "all-device-values", ExerciseResult{
			Passed: true, Summary: "Solved.", Evidence: json.RawMessage(`{"client":"c1"}`), At: passAt,
		}))

		p := mustProgress(t, s, "ada")
		if len(p) != 2 {
			t.Fatalf("courses = %d, want 2 (mqtt, http)", len(p))
		}
		m := p["mqtt"]
		if m.Course != "mqtt" || len(m.Sections) != 2 || !m.Sections["intro"].Equal(first) {
			t.Errorf("sections = %v, want intro (first read %v) and hands-on", m.Sections, first)
		}
		if q := m.Quizzes["qos"]; !q.Correct || q.Attempts != 2 || !reflect.DeepEqual(q.Answers, []string{"a", "c"}) {
			t.Errorf("quiz qos = %+v, want correct after 2 attempts with [a c]", q)
		}
		if q := m.Quizzes["retain"]; q.Correct || q.Attempts != 1 || q.Answers == nil {
			t.Errorf("quiz retain = %+v, want wrong, 1 attempt, empty answers", q)
		}
		want := ExerciseProgress{Passed: true, At: passAt, Attempts: 1, Summary: "Solved.", Evidence: json.RawMessage(`{"client":"c1"}`)}
		if e := m.Exercises["all-device-values"]; !reflect.DeepEqual(e, want) {
			t.Errorf("exercise = %+v, want %+v", e, want)
		}
		if _, err := s.Progress(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Progress(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestQuizLatestAnswerWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		mustEnsure(t, s, "ada")
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"a"}, true))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"b"}, false))
		if q := mustProgress(t, s, "ada")["mqtt"].Quizzes["qos"]; q.Correct || q.Attempts != 2 {
			t.Errorf("quiz = %+v, want wrong (latest) after 2 attempts", q)
		}
	})
}

func TestPassStaysPassedAfterLaterFailure(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		mustEnsure(t, s, "ada")
		at := func(min int) time.Time { return time.Date(2026, 3, 2, 10, min, 0, 0, time.UTC) }
		attempts := []ExerciseResult{
			{Passed: false, Summary: "Missed the actuators.", At: at(1)},
			{Passed: true, Summary: "Solved.", Evidence: json.RawMessage(`{"client":"c1"}`), At: at(2)},
			{Passed: false, Summary: "No client connected.", Evidence: json.RawMessage(`{}`), At: at(3)},
		}
		for _, r := range attempts {
			check(t, s.RecordCheck(ctx, "ada", "mqtt", "ex", r))
		}
		want := ExerciseProgress{Passed: true, At: at(2), Attempts: 3, Summary: "Solved.", Evidence: json.RawMessage(`{"client":"c1"}`)}
		if e := mustProgress(t, s, "ada")["mqtt"].Exercises["ex"]; !reflect.DeepEqual(e, want) {
			t.Errorf("after pass then failure = %+v, want %+v", e, want)
		}
		history, err := s.ExerciseAttempts(ctx, "ada", "mqtt", "ex")
		if err != nil || !reflect.DeepEqual(history, attempts) {
			t.Errorf("ExerciseAttempts = %+v, %v; want every attempt %+v", history, err, attempts)
		}

		// A later pass replaces the earlier pass's evidence.
		check(t, s.RecordCheck(ctx, "ada", "mqtt", "ex", ExerciseResult{Passed: true, Summary: "Solved again.", At: at(4)}))
		if e := mustProgress(t, s, "ada")["mqtt"].Exercises["ex"]; !e.Passed || e.Summary != "Solved again." || !e.At.Equal(at(4)) || e.Evidence != nil || e.Attempts != 4 {
			t.Errorf("after a second pass = %+v", e)
		}
		// Before any pass, the latest failure is what the learner sees.
		check(t, s.RecordCheck(ctx, "ada", "mqtt", "other", ExerciseResult{Summary: "first"}))
		check(t, s.RecordCheck(ctx, "ada", "mqtt", "other", ExerciseResult{Summary: "second"}))
		if e := mustProgress(t, s, "ada")["mqtt"].Exercises["other"]; e.Passed || e.Summary != "second" || e.Attempts != 2 {
			t.Errorf("two failures = %+v, want the second, not passed", e)
		}
	})
}

func TestWritesRefuseUnknownLearnerAndBadEvidence(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		for name, err := range map[string]error{
			"MarkSectionRead": s.MarkSectionRead(ctx, "ghost", "mqtt", "intro"),
			"SaveQuizAnswer":  s.SaveQuizAnswer(ctx, "ghost", "mqtt", "q", nil, true),
			"RecordCheck":     s.RecordCheck(ctx, "ghost", "mqtt", "ex", ExerciseResult{Passed: true}),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s(unknown learner) = %v, want ErrNotFound", name, err)
			}
		}
		mustEnsure(t, s, "ada")
		if err := s.RecordCheck(ctx, "ada", "mqtt", "ex", ExerciseResult{Evidence: json.RawMessage(`{oops`)}); err == nil {
			t.Error("RecordCheck accepted evidence that is not JSON")
		}
	})
}

func TestProgressSurvivesReopen(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, target := openTest(t, e)
		mustEnsure(t, s, "ada")
		check(t, s.MarkSectionRead(ctx, "ada", "mqtt", "intro"))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"a"}, true))
		check(t, s.RecordCheck(ctx, "ada", "mqtt", "ex", ExerciseResult{Passed: true, Summary: "Solved."}))
		before, err := s.ClassProgress(ctx, DefaultClass)
		check(t, err)
		check(t, s.Close())

		s2, err := Open(ctx, target)
		check(t, err)
		defer s2.Close()
		after, err := s2.ClassProgress(ctx, DefaultClass)
		check(t, err)
		if !reflect.DeepEqual(before, after) {
			t.Errorf("after reopen:\n%+v\nbefore:\n%+v", after, before)
		}
	})
}

func TestHundredLearnersWritingAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		const learners, rounds = 100, 5
		var wg sync.WaitGroup
		errs := make(chan error, learners*rounds*3+1)
		for i := range learners {
			wg.Go(func() {
				id := fmt.Sprintf("learner-%03d", i)
				if _, err := s.EnsureLearner(ctx, id, id); err != nil {
					errs <- err
					return
				}
				for j := range rounds {
					errs <- s.MarkSectionRead(ctx, id, "mqtt", fmt.Sprintf("s%d", j))
					errs <- s.RecordCheck(ctx, id, "mqtt", fmt.Sprintf("ex%d", j%2),
						ExerciseResult{Passed: j == 2, Summary: id, Evidence: json.RawMessage(fmt.Sprintf(`{"learner":%q}`, id))})
					errs <- s.SaveQuizAnswer(ctx, id, "mqtt", "qos", []string{id}, j%2 == 0)
				}
			})
		}
		// The instructor's table keeps refreshing meanwhile.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 20 {
				if _, err := s.ClassProgress(ctx, DefaultClass); err != nil {
					errs <- err
					return
				}
			}
		}()
		wg.Wait()
		<-done
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}

		class, err := s.ClassProgress(ctx, DefaultClass)
		check(t, err)
		if len(class) != learners {
			t.Fatalf("class has %d learners, want %d", len(class), learners)
		}
		for _, lp := range class {
			id := lp.Learner.ID
			m := lp.Courses["mqtt"]
			if m == nil || len(m.Sections) != rounds {
				t.Fatalf("%s: sections = %v, want %d", id, m, rounds)
			}
			ex0, ex1 := m.Exercises["ex0"], m.Exercises["ex1"]
			if !ex0.Passed || ex0.Attempts != 3 || ex1.Passed || ex1.Attempts != 2 || ex0.Summary != id {
				t.Errorf("%s: exercises = %+v / %+v (cross-talk or lost attempt)", id, ex0, ex1)
			}
			if q := m.Quizzes["qos"]; q.Attempts != rounds || !q.Correct || q.Answers[0] != id {
				t.Errorf("%s: quiz = %+v", id, q)
			}
		}
	})
}

func mustEnsure(t *testing.T, s *Store, id string) {
	t.Helper()
	if _, err := s.EnsureLearner(context.Background(), id, id); err != nil {
		t.Fatal(err)
	}
}

func mustProgress(t *testing.T, s *Store, learner string) map[string]*CourseProgress {
	t.Helper()
	p, err := s.Progress(context.Background(), learner)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
