// Package store keeps learners and their progress (sections read, quiz
// answers, exercise checks) in an SQLite file, through database/sql and the
// pure-Go driver modernc.org/sqlite, so the binary needs no C toolchain.
//
// Durability is the point of this package: a call that returns nil has
// committed, and the commit survives a process crash (kill -9) and, with
// synchronous=FULL, a power loss. The SQL is kept portable so a PostgreSQL
// backend can follow: standard types, ON CONFLICT upserts, RETURNING. The
// only non-portable bits are the `?` placeholders (PostgreSQL wants $1) and
// the PRAGMAs and sqlite_master lookups in this file and migrate.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when a learner is unknown.
var ErrNotFound = errors.New("not found")

// ErrNotCourselab is returned (wrapped) by Open when the file exists but is
// not a courselab database: another program's SQLite file, or no SQLite
// file at all. Open refuses it rather than adding tables to someone else's
// data.
var ErrNotCourselab = errors.New("not a courselab database")

// ErrNewerSchema is returned (wrapped) by Open when the database was
// migrated by a newer courselab than this one: writing to it with an older
// schema in mind could corrupt what the newer version expects.
var ErrNewerSchema = errors.New("database is from a newer courselab")

// busyTimeout is how long a statement waits for a lock held by another
// connection (a checkpoint, the sqlite3 shell, a second process) before
// failing with "database is locked". Inside one process the single writer
// connection means writers queue in database/sql instead.
const busyTimeout = 5 * time.Second

// applicationID marks the file as ours ("CLab"), so Open can tell a
// courselab database from any other SQLite file even before reading tables.
const applicationID = 0x434c6162

// Store is the courselab database. It is safe for concurrent use.
type Store struct {
	path string
	// w is the one connection that writes. SQLite allows one writer at a
	// time; with one connection, concurrent writers wait their turn in
	// database/sql's pool rather than spinning on SQLITE_BUSY.
	w *sql.DB
	// r is a pool of read-only connections: in WAL mode readers see a
	// consistent snapshot and never wait for the writer.
	r *sql.DB
	// now is the clock; tests replace it to get distinct, ordered times.
	now func() time.Time
}

// options are the knobs benchmarks and tests turn; Open uses defaults.
type options struct {
	// synchronous is FULL: WAL with synchronous=NORMAL survives a process
	// crash but may lose the last commits on power loss or a kernel panic,
	// and "a crash loses nothing acknowledged" includes those. The
	// benchmark in store_bench_test.go shows what FULL costs.
	synchronous string
}

var defaultOptions = options{synchronous: "FULL"}

// Open opens the courselab database at path, creating the file and its
// folder when missing, and applies pending migrations. It refuses a file
// that is not a courselab database or that a newer courselab migrated.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, defaultOptions)
}

func open(ctx context.Context, path string, o options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	// The driver splits its DSN at the first '?', so such a path would be
	// misread as parameters.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store %s: the path must not contain '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: create folder: %w", path, err)
	}
	// Creating the file ourselves gives a plain "permission denied" naming
	// the path, where SQLite would say "unable to open database file", and
	// keeps learners' data private (0600).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store %s: not writable: %w", path, err)
	}
	f.Close()

	s := &Store{path: path, now: time.Now}
	s.w, err = sql.Open("sqlite", dsn(path, o, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.setUp(ctx); err != nil {
		s.w.Close()
		return nil, err
	}

	s.r, err = sql.Open("sqlite", dsn(path, o, true))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	return s, nil
}

// setUp checks the file is ours, in WAL mode, and migrated.
func (s *Store) setUp(ctx context.Context) error {
	// The DSN's PRAGMAs run when the first connection opens, so this is
	// where a non-SQLite file or an unwritable folder shows up.
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.openError(err)
	}
	// WAL is what lets readers run beside the writer; without it (some
	// network filesystems) every page view would wait for every Check.
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open store %s: journal mode is %q, not WAL: put the data folder on a local filesystem", s.path, mode)
	}
	if err := s.claim(ctx); err != nil {
		return err
	}
	return s.migrate(ctx)
}

// openError turns the driver's first error into one that names the path
// and says what is wrong.
func (s *Store) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("open store %s: %w (not an SQLite file)", s.path, ErrNotCourselab)
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return fmt.Errorf("open store %s: not writable: %w", s.path, err)
		}
	}
	return fmt.Errorf("open store %s: %w", s.path, err)
}

// dsn builds the driver's connection string. Readers are query_only so a
// bug can never write outside the single writer connection.
func dsn(path string, o options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous("+o.synchronous+")")
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// that read first can never fail to upgrade its lock mid-way.
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Close closes the database. The last connection to close checkpoints the
// write-ahead log into the main file.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// write runs fn in a transaction on the writer connection and returns once
// COMMIT has returned: with synchronous=FULL, once the log is on disk.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// read runs fn in a read-only transaction, so the several queries behind
// one progress view see the same snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// touch records that learner did something now, and tells whether the
// learner exists: progress for an unknown learner is refused, not stored
// under a dangling id.
func (s *Store) touch(ctx context.Context, tx *sql.Tx, learner string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE learners SET last_seen_ms = ? WHERE id = ?`, ms(now), learner)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("learner %q: %w", learner, ErrNotFound)
	}
	return nil
}

// ms is how times are stored: unix milliseconds, which sort as numbers and
// mean the same in SQLite and PostgreSQL.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS turns a stored time back into a UTC time.Time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
