package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/courselab/courselab/internal/pgtest"
)

func TestRebindNumbersPlaceholdersOutsideQuotes(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                                   `SELECT 1`,
		`UPDATE t SET a = ? WHERE id = ?`:            `UPDATE t SET a = $1 WHERE id = $2`,
		`SELECT '?' , "a?b", ? -- why?` + "\n" + `?`: `SELECT '?' , "a?b", $1 -- why?` + "\n" + `$2`,
	} {
		if got := dialectPostgres.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := dialectSQLite.rebind(in); got != in {
			t.Errorf("SQLite rebind changed %q to %q", in, got)
		}
	}
}

func TestPostgresOpenRefusesAnotherProgramsSchema(t *testing.T) {
	target := pgtest.Schema(t)
	pgtest.Exec(t, target, `CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)`)
	s, err := Open(context.Background(), target)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, ErrNotCourselab) {
		t.Fatalf("Open(schema with another program's table) = %v, want ErrNotCourselab", err)
	}
	t.Logf("the operator reads: %v", err)
}

func TestPostgresOpenSaysWhenServerIsUnreachable(t *testing.T) {
	pgtest.ServerURL(t) // skips on a laptop without PostgreSQL, like the rest
	target := "postgres://courselab:hunter2@127.0.0.1:1/courselab?sslmode=disable&connect_timeout=2"
	_, err := Open(context.Background(), target)
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "cannot reach PostgreSQL") {
		t.Errorf("error %q does not say which server could not be reached", err)
	}
	t.Logf("the operator reads: %v", err)
}

func TestPostgresOpenRefusesSynchronousCommitOff(t *testing.T) {
	target := pgtest.Schema(t)
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	_, err := Open(context.Background(), target+sep+"synchronous_commit=off")
	if err == nil || !strings.Contains(err.Error(), "synchronous_commit") {
		t.Fatalf("Open with synchronous_commit=off = %v, want a refusal naming it", err)
	}
	t.Logf("the operator reads: %v", err)
}

func TestPostgresNodesStartingTogetherMigrateOnce(t *testing.T) {
	target := pgtest.Schema(t)
	const nodes = 4
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for i := range nodes {
		wg.Go(func() {
			s, err := Open(context.Background(), target)
			if err != nil {
				errs <- fmt.Errorf("node %d: %w", i, err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := Open(context.Background(), target)
	check(t, err)
	defer s.Close()
	embedded, _ := embeddedMigrations()
	if got := appliedAt(t, s.w); len(got) != len(embedded) {
		t.Errorf("schema_migrations has %d rows after %d nodes started at once, want %d", len(got), nodes, len(embedded))
	}
}
