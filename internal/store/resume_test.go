package store

import (
	"context"
	"errors"
	"testing"
)

func TestResumeLinksReplaceEachOtherOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s, _ := openTest(t, e)
		ctx := context.Background()
		if _, err := s.EnsureLearner(ctx, "ada-1", "Ada Lovelace"); err != nil {
			t.Fatal(err)
		}
		first, err := s.ResumeLink(ctx, "ada-1")
		if err != nil || len(first) < 20 {
			t.Fatalf("first link %q: %v", first, err)
		}
		if again, _ := s.ResumeLink(ctx, "ada-1"); again != first {
			t.Errorf("showing the link again changed it: %q then %q", first, again)
		}
		if l, err := s.LearnerByResumeLink(ctx, first); err != nil || l.ID != "ada-1" {
			t.Errorf("resume by the link: %+v %v", l, err)
		}
		second, err := s.IssueResumeLink(ctx, "ada-1")
		if err != nil || second == first {
			t.Fatalf("reissue: %q %v", second, err)
		}
		if _, err := s.LearnerByResumeLink(ctx, first); !errors.Is(err, ErrNotFound) {
			t.Errorf("the replaced link still works: %v", err)
		}
		if l, err := s.LearnerByResumeLink(ctx, second); err != nil || l.ID != "ada-1" {
			t.Errorf("resume by the new link: %+v %v", l, err)
		}
		if l, err := s.LearnerNamed(ctx, DefaultClass, "ADA lovelace"); err != nil || l.ID != "ada-1" {
			t.Errorf("learner by name, other case: %+v %v", l, err)
		}
		if _, err := s.LearnerNamed(ctx, DefaultClass, "Bob"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown name: %v", err)
		}
	})
}
