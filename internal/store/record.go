package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ExerciseResult is one evaluation of an exercise's checks, as the check
// engine reports it.
type ExerciseResult struct {
	Passed   bool
	Summary  string          // the one sentence the learner read
	Evidence json.RawMessage // what the checks saw (client id, filter, time); nil when none
	At       time.Time       // when it was evaluated; zero means now
	// Failure is a failed result's sentence as several learners share it
	// (check.Generic), which the instructor's overview groups by; empty
	// means Summary. Unused when Passed.
	Failure string
}

// MarkSectionRead records that learner opened a section. Reading it again
// changes nothing but LastSeen: the first read is the one the instructor's
// table shows.
func (s *Store) MarkSectionRead(ctx context.Context, learner, course, section string) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.touch(ctx, tx, learner, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO section_reads (learner_id, course, section, first_read_ms)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (learner_id, course, section) DO NOTHING`),
			learner, course, section, ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("mark section %s/%s read by %q: %w", course, section, learner, err)
	}
	return nil
}

// SaveQuizAnswer stores one answer to a quiz. Every attempt is kept; the
// latest decides whether the quiz shows as answered correctly.
func (s *Store) SaveQuizAnswer(ctx context.Context, learner, course, quiz string, answers []string, correct bool) error {
	if answers == nil {
		answers = []string{} // stored as [] rather than null
	}
	js, err := json.Marshal(answers)
	if err != nil {
		return fmt.Errorf("save answer to quiz %s/%s by %q: %w", course, quiz, learner, err)
	}
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.touch(ctx, tx, learner, now); err != nil {
			return err
		}
		// The result row's counter numbers the attempts, so no
		// auto-increment (which differs between SQLite and PostgreSQL)
		// is needed.
		var attempt int
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO quiz_results (learner_id, course, quiz, correct, answers, at_ms, attempts)
			VALUES (?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (learner_id, course, quiz) DO UPDATE SET
				correct  = excluded.correct,
				answers  = excluded.answers,
				at_ms    = excluded.at_ms,
				attempts = quiz_results.attempts + 1
			RETURNING attempts`),
			learner, course, quiz, correct, string(js), ms(now)).Scan(&attempt)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO quiz_attempts (learner_id, course, quiz, attempt, answers, correct, at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`),
			learner, course, quiz, attempt, string(js), correct, ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("save answer to quiz %s/%s by %q: %w", course, quiz, learner, err)
	}
	return nil
}

// RecordCheck stores one evaluation of an exercise and returns only after
// it is committed, so a response that says "passed" is never lost. Every
// attempt is kept; in the result a pass is never replaced by a later
// failure: once passed, the exercise stays passed with that pass's summary,
// evidence and time. A later pass replaces an earlier one.
func (s *Store) RecordCheck(ctx context.Context, learner, course, exercise string, r ExerciseResult) error {
	fail := func(err error) error {
		return fmt.Errorf("record check of %s/%s for %q: %w", course, exercise, learner, err)
	}
	var evidence any // NULL when there is none
	if len(r.Evidence) > 0 {
		// PostgreSQL's JSONB would reject it later; say so now.
		if !json.Valid(r.Evidence) {
			return fail(errors.New("evidence is not valid JSON"))
		}
		evidence = string(r.Evidence)
	}
	now := s.now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	var failure any // NULL for a pass
	if !r.Passed {
		failure = cmp.Or(r.Failure, r.Summary)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.touch(ctx, tx, learner, now); err != nil {
			return err
		}
		// All SET expressions see the old row (standard SQL), so a
		// failure after a pass keeps the pass's summary, evidence and time.
		var attempt int
		err := s.queryRow(ctx, tx, upsertExerciseResult,
			learner, course, exercise, r.Passed, r.Summary, evidence, ms(at)).Scan(&attempt)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, insertExerciseAttempt,
			learner, course, exercise, attempt, r.Passed, r.Summary, evidence, ms(at), failure)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return nil
}

// ExerciseAttempts returns every evaluation of one exercise for a learner,
// oldest first: the history behind the result, for the instructor.
func (s *Store) ExerciseAttempts(ctx context.Context, learner, course, exercise string) ([]ExerciseResult, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT passed, summary, evidence, at_ms FROM exercise_attempts
		WHERE learner_id = ? AND course = ? AND exercise = ? ORDER BY attempt`),
		learner, course, exercise)
	if err != nil {
		return nil, fmt.Errorf("attempts of %s/%s for %q: %w", course, exercise, learner, err)
	}
	defer rows.Close()
	var rs []ExerciseResult
	for rows.Next() {
		var r ExerciseResult
		var evidence sql.NullString
		var at int64
		if err := rows.Scan(&r.Passed, &r.Summary, &evidence, &at); err != nil {
			return nil, fmt.Errorf("attempts of %s/%s for %q: %w", course, exercise, learner, err)
		}
		r.Evidence, r.At = rawJSON(evidence), fromMS(at)
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempts of %s/%s for %q: %w", course, exercise, learner, err)
	}
	return rs, nil
}

// rawJSON turns a nullable TEXT column back into JSON, nil for NULL.
func rawJSON(v sql.NullString) json.RawMessage {
	if !v.Valid {
		return nil
	}
	return json.RawMessage(v.String)
}
