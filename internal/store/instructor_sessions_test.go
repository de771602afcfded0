package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInstructorSessionsExpireAndAreRevokedOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		s, _ := openTest(t, e)
		ctx := context.Background()
		a, err := s.StartInstructorSession(ctx, "token", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		short, _ := s.StartInstructorSession(ctx, "token", -time.Minute) // already over
		if got, err := s.InstructorSession(ctx, a.ID); err != nil || !got.Active(s.now()) {
			t.Fatalf("fresh session: %+v %v", got, err)
		}
		if got, _ := s.InstructorSession(ctx, short.ID); got.Active(s.now()) {
			t.Error("an expired session is active")
		}
		list, err := s.InstructorSessions(ctx)
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Errorf("active sessions: %+v %v", list, err)
		}
		if err := s.RevokeInstructorSession(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.InstructorSession(ctx, a.ID); got.Active(s.now()) || !got.Revoked {
			t.Errorf("revoked session: %+v", got)
		}
		if err := s.RevokeInstructorSession(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
	})
}
