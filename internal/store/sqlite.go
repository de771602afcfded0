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

// busyTimeout is how long a statement waits for a lock held by another
// connection (a checkpoint, the sqlite3 shell, a second process) before
// failing with "database is locked". Inside one process the single writer
// connection means writers queue in database/sql instead.
const busyTimeout = 5 * time.Second

// applicationID marks the file as ours ("CLab"), so Open can tell a
// courselab database from any other SQLite file even before reading tables.
const applicationID = 0x434c6162

// options are the knobs benchmarks and tests turn; Open uses defaults.
type options struct {
	// synchronous is FULL: WAL with synchronous=NORMAL survives a process
	// crash but may lose the last commits on power loss or a kernel panic,
	// and "a crash loses nothing acknowledged" includes those. The
	// benchmark in store_bench_test.go shows what FULL costs.
	synchronous string
}

var defaultOptions = options{synchronous: "FULL"}

func openSQLite(ctx context.Context, path string, o options) (*Store, error) {
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

	s := &Store{name: path, dialect: dialectSQLite, now: time.Now, readTx: &sql.TxOptions{ReadOnly: true}}
	s.w, err = sql.Open("sqlite", dsn(path, o, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.setUpSQLite(ctx); err != nil {
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

// setUpSQLite checks the file is ours, in WAL mode, and migrated.
func (s *Store) setUpSQLite(ctx context.Context) error {
	// The DSN's PRAGMAs run when the first connection opens, so this is
	// where a non-SQLite file or an unwritable folder shows up.
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.openError(err)
	}
	// WAL is what lets readers run beside the writer; without it (some
	// network filesystems) every page view would wait for every Check.
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open store %s: journal mode is %q, not WAL: put the data folder on a local filesystem", s.name, mode)
	}
	if err := s.claimSQLite(ctx); err != nil {
		return err
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	return s.prepareWrites(ctx)
}

// openError turns the driver's first error into one that names the path
// and says what is wrong.
func (s *Store) openError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("open store %s: %w (not an SQLite file)", s.name, ErrNotCourselab)
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return fmt.Errorf("open store %s: not writable: %w", s.name, err)
		}
	}
	return fmt.Errorf("open store %s: %w", s.name, err)
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

// claimSQLite makes sure the file is a courselab database, or an empty one
// that becomes ours, before any table is created in it.
func (s *Store) claimSQLite(ctx context.Context) error {
	var id int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return s.openError(err)
	}
	if id == applicationID {
		return nil
	}
	if id != 0 {
		return fmt.Errorf("open store %s: %w (application id %#x belongs to another program)", s.name, ErrNotCourselab, id)
	}
	var tables int
	var ours bool
	err := s.w.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(name = 'schema_migrations'), 0)
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'`).Scan(&tables, &ours)
	if err != nil {
		return s.openError(err)
	}
	if tables > 0 && !ours {
		return fmt.Errorf("open store %s: %w (it already holds %d other tables; choose another --data folder)", s.name, ErrNotCourselab, tables)
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return s.openError(err)
	}
	return nil
}
