package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/courselab/courselab/internal/pgtest"
	"time"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// engine is one database engine the store runs on; every test of the
// store's behaviour runs on each.
type engine struct {
	name string
	// target returns where a fresh, empty database is: an SQLite path in
	// a temporary folder, or a PostgreSQL URL of a schema of its own.
	target func(t testing.TB) string
}

var engines = []engine{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "data", "courselab.db") }},
	{"postgres", func(t testing.TB) string { return pgtest.Schema(t) }},
}

// forEachEngine runs fn as a subtest per engine. PostgreSQL's subtest skips
// without a server, saying what to install, except under CI=true.
func forEachEngine(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

// openTest opens a fresh store on engine e, with a clock that ticks one
// millisecond per reading so "first" and "latest" are testable. It returns
// the target to open it again with.
func openTest(t *testing.T, e engine) (*Store, string) {
	t.Helper()
	target := e.target(t)
	s, err := Open(context.Background(), target)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.now = tickingClock()
	return s, target
}

// tickingClock returns a clock starting at a fixed time that advances one
// millisecond each time it is read, safely from many goroutines.
func tickingClock() func() time.Time {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// pragma reads one PRAGMA on the writer connection.
func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenCreatesFolderAndSetsDurablePragmas(t *testing.T) {
	s, path := openTest(t, engines[0])
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	for name, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "5000",
	} {
		if got := pragma(t, s.w, name); got != want {
			t.Errorf("PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	// The read pool must refuse writes: only the writer connection writes.
	if _, err := s.r.Exec(`DELETE FROM learners`); err == nil {
		t.Error("a read-pool connection accepted a write")
	}
}

func TestOpenRefusesFileThatIsNotSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	junk := strings.Repeat("these are my notes, not a database\n", 200)
	if err := os.WriteFile(path, []byte(junk), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNotCourselab) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open(non-SQLite file) = %v, want ErrNotCourselab naming %s", err, path)
	}
	t.Logf("the user reads: %v", err)
	if b, _ := os.ReadFile(path); string(b) != junk {
		t.Error("Open changed a file that is not ours")
	}
}

func TestOpenRefusesAnotherProgramsDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), path)
	if !errors.Is(err, ErrNotCourselab) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open(other program's database) = %v, want ErrNotCourselab naming %s", err, path)
	}
	t.Logf("the user reads: %v", err)
}

func TestOpenReportsUnwritablePath(t *testing.T) {
	// A regular file where the folder should be: fails even for root.
	blocker := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "courselab.db")
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open(%s) = %v, want an error naming the path", path, err)
	}
	t.Logf("the user reads: %v", err)

	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits are not enforced, read-only folder case skipped")
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "courselab.db")
	_, err = Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("Open(%s) = %v, want a not-writable error naming the path", path, err)
	}
}
