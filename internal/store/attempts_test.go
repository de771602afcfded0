package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestClassAttemptsGroupsMistakesAndSumsUpEachLearner: three learners make
// the same mistake on an exercise (one passes later), one makes another;
// two answer a quiz wrongly the same way. The overview's reads count each
// mistake once per learner, tell who is still on it, and list them.
func TestClassAttemptsGroupsMistakesAndSumsUpEachLearner(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		for _, id := range []string{"ada", "bob", "cy", "dee"} {
			mustEnsure(t, s, id)
		}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		fail := func(learner, generic string, at time.Duration) {
			t.Helper()
			check(t, s.RecordCheck(ctx, learner, "mqtt", "sub", ExerciseResult{Summary: "Your client " + learner + ": " + generic, Failure: generic, At: t0.Add(at)}))
		}
		fail("ada", "wrong filter", 0)
		fail("ada", "wrong filter", time.Minute) // twice: still one learner
		fail("bob", "wrong filter", 0)
		fail("cy", "wrong filter", 0)
		fail("dee", "no client", 0)
		check(t, s.RecordCheck(ctx, "cy", "mqtt", "sub", ExerciseResult{Passed: true, Summary: "Well done.", At: t0.Add(3 * time.Minute)}))
		check(t, s.MarkSectionRead(ctx, "cy", "mqtt", "wildcards"))
		check(t, s.SaveQuizAnswer(ctx, "ada", "mqtt", "qos", []string{"b"}, false))
		check(t, s.SaveQuizAnswer(ctx, "bob", "mqtt", "qos", []string{"b"}, false))
		check(t, s.SaveQuizAnswer(ctx, "bob", "mqtt", "qos", []string{"a"}, true))

		// Another class's learner with the same mistake counts in hers only.
		other, err := s.CreateClass(ctx, Class{Name: "Evening", Code: "EVE-1", Open: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnsureLearnerInClass(ctx, "zed", "Zed", other.ID); err != nil {
			t.Fatal(err)
		}
		fail("zed", "wrong filter", 0)
		if oa, err := s.ClassAttempts(ctx, other.ID); err != nil || len(oa.Learners) != 1 || len(oa.Items) != 1 || len(oa.Failures) != 1 || oa.Failures[0].Learners != 1 {
			t.Errorf("the other class: %+v, %v", oa, err)
		}

		ca, err := s.ClassAttempts(ctx, DefaultClass)
		if err != nil {
			t.Fatal(err)
		}
		if len(ca.Learners) != 4 || len(ca.Reads) != 1 || ca.Reads[0].Learner != "cy" {
			t.Errorf("learners %+v, reads %+v", ca.Learners, ca.Reads)
		}
		items := map[string]ItemAttempts{}
		for _, it := range ca.Items {
			items[it.Kind+" "+it.Learner] = it
		}
		if a := items["exercise ada"]; a.Attempts != 2 || a.Passed() || !a.First.Equal(t0) || !a.Last.Equal(t0.Add(time.Minute)) {
			t.Errorf("ada's exercise: %+v", a)
		}
		if c := items["exercise cy"]; c.Attempts != 2 || c.PassAttempt != 2 || !c.PassAt.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("cy's exercise: %+v", c)
		}
		if b := items["quiz bob"]; b.Attempts != 2 || b.PassAttempt != 2 {
			t.Errorf("bob's quiz: %+v", b)
		}
		groups := map[string]FailureGroup{}
		for _, g := range ca.Failures {
			groups[g.Key] = g
		}
		if g := groups["wrong filter"]; g.Learners != 3 || g.Still != 2 || g.Failure != "wrong filter" || g.Kind != KindExercise || g.Item != "sub" {
			t.Errorf("wrong filter group: %+v", g)
		}
		if g := groups["no client"]; g.Learners != 1 || g.Still != 1 {
			t.Errorf("no client group: %+v", g)
		}
		if g := groups[`["b"]`]; g.Learners != 2 || g.Still != 1 || !reflect.DeepEqual(g.Answers, []string{"b"}) || g.Kind != KindQuiz {
			t.Errorf("quiz group: %+v (all %+v)", g, ca.Failures)
		}

		who, err := s.FailureLearners(ctx, DefaultClass, "mqtt", KindExercise, "sub", "wrong filter")
		if err != nil {
			t.Fatal(err)
		}
		if len(who) != 3 || who[0].Learner.ID != "ada" || who[0].Times != 2 {
			t.Fatalf("learners with the wrong filter: %+v", who)
		}
		for _, w := range who {
			if w.Passed != (w.Learner.ID == "cy") {
				t.Errorf("%s passed = %v", w.Learner.ID, w.Passed)
			}
		}
		if who, err := s.FailureLearners(ctx, DefaultClass, "mqtt", KindQuiz, "qos", `["b"]`); err != nil || len(who) != 2 {
			t.Errorf("quiz learners: %+v, %v", who, err)
		}
		if _, err := s.FailureLearners(ctx, DefaultClass, "mqtt", "poll", "x", ""); err == nil {
			t.Error("an unknown kind was accepted")
		}

		recent, err := s.RecentChecks(ctx, "cy", 5)
		if err != nil || len(recent) != 2 || !recent[0].Passed || recent[0].Attempt != 2 || recent[1].Summary != "Your client cy: wrong filter" {
			t.Errorf("cy's recent checks: %+v, %v", recent, err)
		}
	})
}
