package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The statements of the most frequent writes (a Check, a section read),
// prepared once on SQLite's writer connection: parsing them again in every
// transaction was most of the store's CPU in a burst of Checks.
const (
	touchLearner = `UPDATE learners SET last_seen_ms = ? WHERE id = ?`

	// See RecordCheck.
	upsertExerciseResult = `INSERT INTO exercise_results (learner_id, course, exercise, passed, summary, evidence, at_ms, attempts)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (learner_id, course, exercise) DO UPDATE SET
				summary  = CASE WHEN exercise_results.passed AND NOT excluded.passed THEN exercise_results.summary  ELSE excluded.summary  END,
				evidence = CASE WHEN exercise_results.passed AND NOT excluded.passed THEN exercise_results.evidence ELSE excluded.evidence END,
				at_ms    = CASE WHEN exercise_results.passed AND NOT excluded.passed THEN exercise_results.at_ms    ELSE excluded.at_ms    END,
				passed   = exercise_results.passed OR excluded.passed,
				attempts = exercise_results.attempts + 1
			RETURNING attempts`

	insertExerciseAttempt = `INSERT INTO exercise_attempts (learner_id, course, exercise, attempt, passed, summary, evidence, at_ms, failure)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// prepareWrites prepares the frequent writes on SQLite's single writer
// connection. It runs at Open, before any transaction: later, a Prepare on
// the writer pool would wait for the connection a transaction holds.
func (s *Store) prepareWrites(ctx context.Context) error {
	s.prepared = map[string]*sql.Stmt{}
	for _, q := range []string{touchLearner, upsertExerciseResult, insertExerciseAttempt} {
		st, err := s.w.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("open store %s: prepare: %w", s.name, err)
		}
		s.prepared[q] = st
	}
	return nil
}

// exec runs query in tx: as the prepared statement on SQLite, as text on
// PostgreSQL (pgx caches statements per connection itself).
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, ok := s.prepared[query]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, s.q(query), args...)
}

// queryRow is exec for a statement that returns one row.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st, ok := s.prepared[query]; ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, s.q(query), args...)
}
