package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgPoolSize bounds the connections one node opens. A Check or a page view
// holds one for a few milliseconds; PostgreSQL's default max_connections
// (100) leaves room for several nodes.
const pgPoolSize = 16

// pgConnectTimeout is how long opening waits for PostgreSQL before saying
// it cannot reach it.
const pgConnectTimeout = 10 * time.Second

// migrationLock is the advisory lock id under which migrations run, so
// nodes that start at the same time apply each migration once.
const migrationLock = applicationID

// pgState is what a PostgreSQL store keeps beside its pool.
type pgState struct {
	config *pgx.ConnConfig // for the notification listener's own connection
}

// redactURL is the URL as it may appear in logs and errors: no password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a postgres:// URL that does not parse)"
	}
	return u.Redacted()
}

func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	name := displayName(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w (want postgres://user:password@host:5432/database)", name, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgPoolSize)
	db.SetMaxIdleConns(pgPoolSize)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{
		name: name, dialect: dialectPostgres, w: db, r: db, now: time.Now,
		// Repeatable read: the queries of one class view see one snapshot.
		readTx: &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
		pg:     &pgState{config: cfg},
	}
	if err := s.setUpPostgres(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// setUpPostgres checks that the server answers, acknowledges commits
// durably, and holds a courselab schema or an empty one; then migrates.
func (s *Store) setUpPostgres(ctx context.Context) error {
	var syncCommit string
	if err := s.w.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&syncCommit); err != nil {
		return fmt.Errorf("open store %s: cannot reach PostgreSQL: %w", s.name, err)
	}
	// With synchronous_commit=off a COMMIT returns before its log is on
	// disk: a Check that said "passed" could vanish in a server crash.
	if syncCommit == "off" {
		return fmt.Errorf("open store %s: PostgreSQL has synchronous_commit=off, so a result the learner was shown could be lost in a crash; set it to on (ALTER DATABASE ... SET synchronous_commit = on)", s.name)
	}
	if err := s.claimPostgres(ctx); err != nil {
		return err
	}
	return s.migrate(ctx)
}

// claimPostgres refuses a schema that holds another program's tables: an
// empty schema becomes ours, one with schema_migrations is ours already.
func (s *Store) claimPostgres(ctx context.Context) error {
	var schema sql.NullString
	if err := s.w.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("open store %s: %w", s.name, err)
	}
	if !schema.Valid {
		return fmt.Errorf("open store %s: no schema to create tables in: the search_path names none that exists; create it (CREATE SCHEMA ...) or fix search_path", s.name)
	}
	var tables int
	var ours bool
	err := s.w.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(BOOL_OR(table_name = 'schema_migrations'), false)
		FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables, &ours)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.name, err)
	}
	if tables > 0 && !ours {
		return fmt.Errorf("open store %s: %w (schema %q already holds %d other tables; give courselab a database or schema of its own)", s.name, ErrNotCourselab, schema.String, tables)
	}
	return nil
}

// withMigrationLock runs fn while holding PostgreSQL's advisory lock for
// migrations, on a connection of its own: a second node starting at the
// same moment waits, then finds the migrations applied.
func (s *Store) withMigrationLock(ctx context.Context, fn func() error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.name, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("open store %s: lock for migrations: %w", s.name, err)
	}
	defer func() {
		// A lock left behind ends with the connection; unlocking on a
		// fresh context keeps a cancelled ctx from leaving it held.
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // closes it, and the lock with it
		}
	}()
	return fn()
}
