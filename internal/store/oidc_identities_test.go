package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestOIDCIdentityKeepsOneLearnerAcrossSignInsOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s, _ := openTest(t, e)
		ctx := context.Background()
		const iss = "https://sso.school.example"
		if _, err := s.LearnerByOIDC(ctx, iss, "u-1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown identity: %v", err)
		}
		l, created, err := s.EnsureOIDCLearner(ctx, iss, "u-1", "ada-1", "Ada Lovelace", DefaultClass)
		if err != nil || !created || l.ID != "ada-1" || l.Name != "Ada Lovelace" {
			t.Fatalf("first sign-in: %+v created=%v %v", l, created, err)
		}
		if err := s.MarkSectionRead(ctx, "ada-1", "hello", "first"); err != nil {
			t.Fatal(err)
		}
		// The same person on another device: a new id is offered, the old
		// learner comes back.
		again, created, err := s.EnsureOIDCLearner(ctx, iss, "u-1", "ada-2", "Ada L.", DefaultClass)
		if err != nil || created || again.ID != "ada-1" || again.Name != "Ada Lovelace" {
			t.Fatalf("second sign-in: %+v created=%v %v", again, created, err)
		}
		if _, err := s.Learner(ctx, "ada-2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("the second sign-in left a learner behind: %v", err)
		}
		// The same subject at another issuer is someone else.
		// Signing in first with a class's code makes the learner in that
		// class; later sign-ins keep it whatever class they name.
		monday, err := s.CreateClass(ctx, Class{Name: "Monday", Code: "MON42", Open: true})
		if err != nil {
			t.Fatal(err)
		}
		other, created, err := s.EnsureOIDCLearner(ctx, "https://other.example", "u-1", "bob-1", "Bob", monday.ID)
		if err != nil || !created || other.ID != "bob-1" || other.Class != monday.ID {
			t.Fatalf("other issuer, class %s: %+v created=%v %v", monday.ID, other, created, err)
		}
		if again, _, err := s.EnsureOIDCLearner(ctx, "https://other.example", "u-1", "bob-2", "Bob", DefaultClass); err != nil || again.Class != monday.ID {
			t.Fatalf("a later sign-in moved the learner: %+v %v", again, err)
		}
	})
}

func TestOIDCFirstSignInsAtOnceMakeOneLearnerOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s, _ := openTest(t, e)
		ctx := context.Background()
		const n = 8
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, _, err := s.EnsureOIDCLearner(ctx, "https://sso.example", "same", fmt.Sprintf("grace-%d", i), "Grace", DefaultClass)
				if err != nil {
					t.Error(err)
				}
				ids[i] = l.ID
			}()
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("simultaneous first sign-ins made several learners: %v", ids)
			}
		}
		all, err := s.Learners(ctx)
		if err != nil || len(all) != 1 {
			t.Errorf("learners after simultaneous sign-ins: %d %v", len(all), err)
		}
	})
}
