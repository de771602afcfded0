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
	Class    string    // the id of the class they joined (DefaultClass without a code)
	Created  time.Time // when the learner first appeared
	LastSeen time.Time // the latest join, section read, answer or check
}

// EnsureLearner creates the learner in the default class, or renames an
// existing one, and marks them seen now. An empty name keeps the current
// one, so personal mode can call it on every request without knowing the
// name.
func (s *Store) EnsureLearner(ctx context.Context, id, name string) (Learner, error) {
	return s.EnsureLearnerInClass(ctx, id, name, DefaultClass)
}

// EnsureLearnerInClass is EnsureLearner for a learner joining class. An
// existing learner stays in the class they joined first.
func (s *Store) EnsureLearnerInClass(ctx context.Context, id, name, class string) (Learner, error) {
	if id == "" {
		return Learner{}, errors.New("ensure learner: empty id")
	}
	now := ms(s.now())
	var l Learner
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanLearner(tx.QueryRowContext(ctx, s.q(`INSERT INTO learners (id, name, class_id, created_ms, last_seen_ms)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				name = CASE WHEN excluded.name = '' THEN learners.name ELSE excluded.name END,
				last_seen_ms = excluded.last_seen_ms
			RETURNING `+learnerColumns),
			id, name, class, now, now))
		return err
	})
	if err != nil {
		return Learner{}, fmt.Errorf("ensure learner %q: %w", id, err)
	}
	return l, nil
}

// learnerColumns are what scanLearner reads, in its order.
const learnerColumns = `id, name, class_id, created_ms, last_seen_ms`

// Learner returns the learner with id, or an error wrapping ErrNotFound.
func (s *Store) Learner(ctx context.Context, id string) (Learner, error) {
	l, err := scanLearner(s.r.QueryRowContext(ctx,
		s.q(`SELECT `+learnerColumns+` FROM learners WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Learner{}, fmt.Errorf("learner %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Learner{}, fmt.Errorf("learner %q: %w", id, err)
	}
	return l, nil
}

// Learners returns every learner of every class, first joined first.
func (s *Store) Learners(ctx context.Context) ([]Learner, error) {
	var ls []Learner
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		ls, err = s.learners(ctx, tx, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list learners: %w", err)
	}
	return ls, nil
}

// learners lists the learners of class (of every class when class is
// empty) inside tx; the id breaks ties between learners who joined in the
// same millisecond, so the order is stable.
func (s *Store) learners(ctx context.Context, tx *sql.Tx, class string) ([]Learner, error) {
	where, args := "", []any{}
	if class != "" {
		where, args = " WHERE class_id = ?", []any{class}
	}
	rows, err := tx.QueryContext(ctx,
		s.q(`SELECT `+learnerColumns+` FROM learners`+where+` ORDER BY created_ms, id`), args...)
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
	if err := row.Scan(&l.ID, &l.Name, &l.Class, &created, &seen); err != nil {
		return Learner{}, err
	}
	l.Created, l.LastSeen = fromMS(created), fromMS(seen)
	return l, nil
}
