package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Learner is someone following a course: in personal mode the one local
// user, in classroom mode whoever joined with a name.
type Learner struct {
	ID       string
	Name     string
	Created  time.Time // when the learner first appeared
	LastSeen time.Time // the latest join, section read, answer or check
}

// EnsureLearner creates the learner, or renames an existing one, and marks
// them seen now. An empty name keeps the current one, so personal mode can
// call it on every request without knowing the name.
func (s *Store) EnsureLearner(ctx context.Context, id, name string) (Learner, error) {
	if id == "" {
		return Learner{}, errors.New("ensure learner: empty id")
	}
	now := ms(s.now())
	var l Learner
	var created, seen int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO learners (id, name, created_ms, last_seen_ms)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				name = CASE WHEN excluded.name = '' THEN learners.name ELSE excluded.name END,
				last_seen_ms = excluded.last_seen_ms
			RETURNING id, name, created_ms, last_seen_ms`),
			id, name, now, now).Scan(&l.ID, &l.Name, &created, &seen)
	})
	if err != nil {
		return Learner{}, fmt.Errorf("ensure learner %q: %w", id, err)
	}
	l.Created, l.LastSeen = fromMS(created), fromMS(seen)
	return l, nil
}

// Learner returns the learner with id, or an error wrapping ErrNotFound.
func (s *Store) Learner(ctx context.Context, id string) (Learner, error) {
	l, err := scanLearner(s.r.QueryRowContext(ctx,
		s.q(`SELECT id, name, created_ms, last_seen_ms FROM learners WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Learner{}, fmt.Errorf("learner %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Learner{}, fmt.Errorf("learner %q: %w", id, err)
	}
	return l, nil
}

// Learners returns every learner, first joined first, as the instructor's
// table lists them.
func (s *Store) Learners(ctx context.Context) ([]Learner, error) {
	var ls []Learner
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		ls, err = learners(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list learners: %w", err)
	}
	return ls, nil
}

// learners lists every learner inside tx; the id breaks ties between
// learners who joined in the same millisecond, so the order is stable.
func learners(ctx context.Context, tx *sql.Tx) ([]Learner, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, name, created_ms, last_seen_ms FROM learners ORDER BY created_ms, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ls []Learner
	for rows.Next() {
		l, err := scanLearner(rows)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// scanLearner reads one learners row from a *sql.Row or *sql.Rows.
func scanLearner(row interface{ Scan(...any) error }) (Learner, error) {
	var l Learner
	var created, seen int64
	if err := row.Scan(&l.ID, &l.Name, &created, &seen); err != nil {
		return Learner{}, err
	}
	l.Created, l.LastSeen = fromMS(created), fromMS(seen)
	return l, nil
}
