// Package store keeps learners and their progress (sections read, quiz
// answers, exercise checks) in a database, through database/sql: an SQLite
// file by default (the pure-Go driver modernc.org/sqlite, so the binary
// needs no C toolchain), or PostgreSQL (github.com/jackc/pgx/v5) when the
// nodes of a cluster share one.
//
// Durability is the point of this package: a call that returns nil has
// committed, and the commit survives a process crash (kill -9) and, with
// synchronous=FULL (SQLite) or synchronous_commit=on (PostgreSQL), a power
// loss. The SQL is portable, one text for both engines: standard types,
// ON CONFLICT upserts, RETURNING, `?` placeholders that dialect.go rewrites
// to PostgreSQL's $1. What differs between the engines (opening, claiming
// an empty database, locking migrations) is in sqlite.go and postgres.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned (wrapped) when a learner is unknown.
var ErrNotFound = errors.New("not found")

// ErrNotCourselab is returned (wrapped) by Open when the file exists but is
// not a courselab database: another program's SQLite file, or no SQLite
// file at all, or a PostgreSQL schema holding another program's tables.
// Open refuses it rather than adding tables to someone else's data.
var ErrNotCourselab = errors.New("not a courselab database")

// ErrNewerSchema is returned (wrapped) by Open when the database was
// migrated by a newer courselab than this one: writing to it with an older
// schema in mind could corrupt what the newer version expects.
var ErrNewerSchema = errors.New("database is from a newer courselab")

// Store is the courselab database. It is safe for concurrent use.
type Store struct {
	// name says which database this is in error messages: the SQLite
	// path, or the PostgreSQL URL without its password.
	name    string
	dialect dialect
	// w is where writes go. For SQLite it is one connection: SQLite
	// allows one writer at a time, and with one connection concurrent
	// writers wait their turn in database/sql's pool rather than spinning
	// on SQLITE_BUSY. For PostgreSQL it is the one pool, shared with r.
	w *sql.DB
	// r is where reads go. For SQLite a pool of read-only connections: in
	// WAL mode readers see a consistent snapshot and never wait for the
	// writer.
	r *sql.DB
	// readTx are the options of a read transaction: one snapshot for the
	// several queries behind one progress view.
	readTx *sql.TxOptions
	// pg is set for PostgreSQL: what the notification listener needs.
	pg *pgState
	// now is the clock; tests replace it to get distinct, ordered times.
	now func() time.Time
	// batch groups concurrent SQLite writes into one commit (batch.go).
	batch batcher
	// prepared holds the SQLite writer's prepared statements (stmt.go).
	prepared map[string]*sql.Stmt
	// commits counts the COMMITs of writes: fewer than the writes when
	// they were grouped.
	commits atomic.Int64
}

// IsPostgres tells whether target names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// displayName is how target appears in errors and logs: an SQLite path as
// it is, a PostgreSQL URL without its password.
func displayName(target string) string {
	if IsPostgres(target) {
		return redactURL(target)
	}
	return target
}

// Open opens the courselab database and applies pending migrations:
// PostgreSQL when target is a postgres:// URL, else the SQLite file at
// path target, created with its folder when missing. It refuses a database
// that is not courselab's or that a newer courselab migrated.
func Open(ctx context.Context, target string) (*Store, error) {
	if IsPostgres(target) {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, target, defaultOptions)
}

// Name says which database this is, for logs: the SQLite path, or the
// PostgreSQL URL without its password.
func (s *Store) Name() string { return s.name }

// Shared tells whether several courselab processes may use this database
// at once (PostgreSQL): then changes are announced to the others with
// Notify.
func (s *Store) Shared() bool { return s.dialect == dialectPostgres }

// Ping checks that the database answers, for the health check.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("database %s: %w", s.name, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	for _, st := range s.prepared {
		errs = append(errs, st.Close())
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store %s: %w", s.name, err)
	}
	return nil
}

// write runs fn in a transaction on the writer and returns once COMMIT has
// returned: once the log is on disk. On SQLite, writes that arrive together
// share one commit (batch.go).
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.dialect == dialectSQLite {
		return s.writeBatched(ctx, fn)
	}
	return s.writeOne(ctx, fn)
}

// writeOne runs fn in a transaction of its own.
func (s *Store) writeOne(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	s.commits.Add(1)
	return tx.Commit()
}

// read runs fn in a read-only transaction, so the several queries behind
// one progress view see the same snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, s.readTx)
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
	res, err := s.exec(ctx, tx, touchLearner, ms(now), learner)
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
