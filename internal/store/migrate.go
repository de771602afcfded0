package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// migrationFiles are the schema changes, embedded so the binary upgrades a
// database without files beside it. A file's name is NNNN_what.sql; once
// released a migration is never edited, only followed by a new one.
//
// One file serves both engines: it is written in SQL that SQLite and
// PostgreSQL both accept (standard types, BIGINT for times, BOOLEAN, TEXT;
// no AUTOINCREMENT, SERIAL or engine functions) and runs as it is on either,
// each migration in one transaction (PostgreSQL's DDL is transactional too).
// Every store test opens (so migrates) a fresh database on both engines.
//
// This runner rather than goose: it is a hundred lines that already refuse
// a newer schema and another program's database, and the only thing
// PostgreSQL added is an advisory lock so nodes starting together migrate
// once; goose would add a second version table and per-dialect files.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// embeddedMigrations reads migrationFiles in version order.
func embeddedMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return list, nil
}

// migrate applies the embedded migrations that the database lacks.
func (s *Store) migrate(ctx context.Context) error {
	list, err := embeddedMigrations()
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.name, err)
	}
	if s.dialect == dialectPostgres {
		return s.withMigrationLock(ctx, func() error { return s.applyMigrations(ctx, list) })
	}
	return s.applyMigrations(ctx, list)
}

// applyMigrations applies list in version order, each in its own transaction
// with its schema_migrations row, so a failed migration leaves the database
// at the previous version rather than half-changed. A version recorded in
// the database but unknown here means a newer courselab wrote it: refused.
func (s *Store) applyMigrations(ctx context.Context, list []migration) error {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b migration) int { return a.version - b.version })
	known := map[int]bool{}
	for _, m := range list {
		if known[m.version] {
			return fmt.Errorf("open store %s: two migrations numbered %d", s.name, m.version)
		}
		known[m.version] = true
	}

	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		if s.dialect == dialectSQLite {
			return s.openError(err)
		}
		return fmt.Errorf("open store %s: %w", s.name, err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("open store %s: read schema version: %w", s.name, err)
	}
	for _, v := range applied {
		if !known[v] {
			latest := 0
			if len(list) > 0 {
				latest = list[len(list)-1].version
			}
			return fmt.Errorf("open store %s: %w: it has schema version %d, this courselab knows up to %d; run a newer courselab or use another --data folder",
				s.name, ErrNewerSchema, slices.Max(applied), latest)
		}
	}

	for _, m := range list {
		if slices.Contains(applied, m.version) {
			continue
		}
		err := s.write(ctx, func(tx *sql.Tx) error {
			// Checked again under the write lock: another process opening
			// the same file may have applied it since we looked.
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
				m.version, ms(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("open store %s: migration %s: %w", s.name, m.name, err)
		}
	}
	return nil
}

// appliedVersions lists the versions recorded in schema_migrations.
func (s *Store) appliedVersions(ctx context.Context) ([]int, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
