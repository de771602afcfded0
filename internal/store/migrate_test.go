package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// appliedAt returns schema_migrations as version → applied_at.
func appliedAt(t *testing.T, db *sql.DB) map[int]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int]int64{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		m[v] = at
	}
	return m
}

func TestMigrationsApplyOnceAndReopenDoesNotReapply(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, target := openTest(t, e)
		first := appliedAt(t, s.w)
		embedded, err := embeddedMigrations()
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(embedded) {
			t.Fatalf("applied %d migrations, embedded %d", len(first), len(embedded))
		}
		if _, err := s.EnsureLearner(ctx, "ada", "Ada"); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s2, err := Open(ctx, target)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s2.Close()
		again := appliedAt(t, s2.w)
		for v, at := range first {
			if again[v] != at {
				t.Errorf("migration %d applied_at changed on reopen: %d → %d", v, at, again[v])
			}
		}
		if len(again) != len(first) {
			t.Errorf("reopen recorded %d migrations, want %d", len(again), len(first))
		}
		if _, err := s2.Learner(ctx, "ada"); err != nil {
			t.Errorf("data lost across reopen: %v", err)
		}
	})
}

func TestMigrationsApplyInOrderEachInItsOwnTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, _ := openTest(t, e)
		embedded, _ := embeddedMigrations()
		n := embedded[len(embedded)-1].version // the test's migrations follow the real ones (numbers may have gaps)
		extra := []migration{
			// Given out of order: the second needs the first's table.
			{version: n + 2, name: "b.sql", sql: `ALTER TABLE notes ADD COLUMN body TEXT`},
			{version: n + 1, name: "a.sql", sql: `CREATE TABLE notes (id TEXT NOT NULL PRIMARY KEY)`},
			{version: n + 3, name: "bad.sql", sql: `CREATE TABLE half (id TEXT); INSERT INTO nowhere VALUES (1)`},
		}
		err := s.applyMigrations(ctx, append(embedded, extra...))
		if err == nil || !strings.Contains(err.Error(), "bad.sql") {
			t.Fatalf("applyMigrations = %v, want failure naming bad.sql", err)
		}
		got := appliedAt(t, s.w)
		if _, ok := got[n+2]; !ok {
			t.Error("b not applied after a")
		}
		if _, ok := got[n+3]; ok {
			t.Error("failed migration recorded as applied")
		}
		if _, err := s.w.Exec(`SELECT COUNT(*) FROM half`); err == nil {
			t.Error("failed migration 0004 left its first statement behind")
		}
	})
}

func TestOpenRefusesDatabaseFromNewerVersion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		ctx := context.Background()
		s, target := openTest(t, e)
		if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
			t.Fatal(err)
		}
		s.Close()

		_, err := Open(ctx, target)
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("Open = %v, want ErrNewerSchema", err)
		}
		t.Logf("the user reads: %v", err)
		for _, want := range []string{displayName(target), "9999", "newer courselab"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
}
