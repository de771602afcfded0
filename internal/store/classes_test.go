package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestLearnersOfAnOlderDatabaseLandInTheDefaultClass: a database as it was
// before classes (migration 0003) is migrated with every learner, and their
// progress, in the default class.
func TestLearnersOfAnOlderDatabaseLandInTheDefaultClass(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, target := openTest(t, e)
		// Back to schema 0003: what 0004 added is taken away again.
		for _, q := range []string{
			`DROP INDEX learners_by_class`,
			`ALTER TABLE learners DROP COLUMN class_id`,
			`DROP TABLE classes`,
			`DROP TABLE instructors`,
			`DELETE FROM schema_migrations WHERE version = 4`,
			`INSERT INTO learners (id, name, created_ms, last_seen_ms) VALUES ('ada-1', 'Ada', 1, 1)`,
			`INSERT INTO learners (id, name, created_ms, last_seen_ms) VALUES ('bob-2', 'Bob', 2, 2)`,
			`INSERT INTO section_reads (learner_id, course, section, first_read_ms) VALUES ('ada-1', 'mqtt', 'intro', 3)`,
		} {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s.Close()
		s2, err := Open(ctx, target)
		if err != nil {
			t.Fatalf("reopen (migrating 0004): %v", err)
		}
		defer s2.Close()
		classes, err := s2.Classes(ctx)
		if err != nil || len(classes) != 1 || !classes[0].IsDefault() || !classes[0].Open || classes[0].Learners != 2 {
			t.Fatalf("classes after migration: %+v, %v; want the open default class with 2 learners", classes, err)
		}
		class, err := s2.ClassProgress(ctx, DefaultClass)
		if err != nil || len(class) != 2 || class[0].Learner.ID != "ada-1" || class[0].Learner.Class != DefaultClass {
			t.Fatalf("default class progress: %+v, %v", class, err)
		}
		if _, ok := class[0].Courses["mqtt"].Sections["intro"]; !ok {
			t.Error("Ada's section read was lost in the migration")
		}
	})
}

// TestClassesKeepTheirLearnersAndProgressApart: two classes, each with its
// learner; each class's progress holds its own learner only, names are
// unique within a class only, and codes are unique across classes.
func TestClassesKeepTheirLearnersAndProgressApart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		b, err := s.CreateClass(ctx, Class{Name: "IoT Monday", Code: "MON-42", Open: true, Courses: []string{"mqtt"}})
		if err != nil {
			t.Fatal(err)
		}
		if b.ID == DefaultClass || b.ID == "" {
			t.Fatalf("new class id %q", b.ID)
		}
		if _, err := s.CreateClass(ctx, Class{Name: "Other", Code: "MON-42"}); !errors.Is(err, ErrCodeTaken) {
			t.Fatalf("second class with code MON-42: %v, want ErrCodeTaken", err)
		}
		if _, err := s.EnsureLearnerInClass(ctx, "ada-1", "Ada", b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnsureLearner(ctx, "ada-2", "Ada"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSectionRead(ctx, "ada-1", "mqtt", "intro"); err != nil {
			t.Fatal(err)
		}
		for class, want := range map[string]string{b.ID: "ada-1", DefaultClass: "ada-2"} {
			got, err := s.ClassProgress(ctx, class)
			if err != nil || len(got) != 1 || got[0].Learner.ID != want || got[0].Learner.Class != class {
				t.Fatalf("class %s: %+v, %v; want %s alone", class, got, err, want)
			}
			if l, err := s.LearnerNamed(ctx, class, "ADA"); err != nil || l.ID != want {
				t.Errorf("Ada of class %s: %+v, %v", class, l, err)
			}
		}
		got, _ := s.ClassProgress(ctx, DefaultClass)
		if len(got[0].Courses) != 0 {
			t.Errorf("the default class's Ada got the other Ada's progress: %+v", got[0].Courses)
		}
		byCode, err := s.ClassByCode(ctx, "MON-42")
		if err != nil || byCode.ID != b.ID || byCode.Learners != 1 || !slices.Equal(byCode.Courses, []string{"mqtt"}) || !byCode.Takes("mqtt") || byCode.Takes("http") {
			t.Fatalf("class by code: %+v, %v", byCode, err)
		}
		if _, err := s.ClassByCode(ctx, "NOPE"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown code: %v, want ErrNotFound", err)
		}
		// Closing it and renaming it; a joined learner stays where they are.
		b.Open, b.Name, b.Code = false, "IoT Monday (closed)", "MON-43"
		if err := s.UpdateClass(ctx, b); err != nil {
			t.Fatal(err)
		}
		again, err := s.Class(ctx, b.ID)
		if err != nil || again.Open || again.Name != b.Name || again.Code != "MON-43" {
			t.Fatalf("after update: %+v, %v", again, err)
		}
		if l, _ := s.EnsureLearnerInClass(ctx, "ada-1", "", DefaultClass); l.Class != b.ID {
			t.Errorf("a learner seen again moved to class %q", l.Class)
		}
		if err := s.UpdateClass(ctx, Class{ID: DefaultClass, Name: "Everyone", Open: true, Code: "MON-43"}); !errors.Is(err, ErrCodeTaken) && err != nil {
			t.Fatal(err)
		}
		def, _ := s.Class(ctx, DefaultClass)
		if def.Code != "" || def.Name != "Everyone" {
			t.Errorf("default class after update: %+v; want renamed and still without a code", def)
		}
		if err := s.UpdateClass(ctx, Class{ID: "nope", Name: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("updating an unknown class: %v", err)
		}
		list, err := s.Classes(ctx)
		if err != nil || len(list) != 2 || !list[0].IsDefault() || list[1].ID != b.ID {
			t.Fatalf("classes: %+v, %v; want default first", list, err)
		}
	})
}

// TestInstructorsSignInWithTheirOwnTokenUntilRemoved: each instructor's
// token names them; removing one makes their token useless and signs out
// their sessions, not the others'.
func TestInstructorsSignInWithTheirOwnTokenUntilRemoved(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		grace, tokG, err := s.AddInstructor(ctx, "Grace")
		if err != nil {
			t.Fatal(err)
		}
		_, tokL, err := s.AddInstructor(ctx, "Linus")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddInstructor(ctx, "Grace"); !errors.Is(err, ErrNameTaken) {
			t.Errorf("second Grace: %v, want ErrNameTaken", err)
		}
		if tokG == tokL || len(tokG) < 20 {
			t.Fatalf("tokens %q and %q", tokG, tokL)
		}
		if in, err := s.InstructorByToken(ctx, tokG); err != nil || in.ID != grace.ID || in.Name != "Grace" {
			t.Fatalf("Grace's token: %+v, %v", in, err)
		}
		if _, err := s.InstructorByToken(ctx, tokG+"x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a wrong token: %v", err)
		}
		gs, _ := s.StartInstructorSession(ctx, "Grace", time.Hour)
		ls, _ := s.StartInstructorSession(ctx, "Linus", time.Hour)
		if err := s.RemoveInstructor(ctx, "Grace"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.InstructorByToken(ctx, tokG); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed Grace's token still works: %v", err)
		}
		if got, _ := s.InstructorSession(ctx, gs.ID); !got.Revoked {
			t.Error("removed Grace's session is still active")
		}
		if got, _ := s.InstructorSession(ctx, ls.ID); got.Revoked {
			t.Error("Linus's session was signed out with Grace's")
		}
		if err := s.RemoveInstructor(ctx, "Grace"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing Grace twice: %v", err)
		}
		list, err := s.Instructors(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "Linus" {
			t.Errorf("instructors: %+v, %v", list, err)
		}
	})
}
