package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// The instructor's overview ("where is the class stuck") reads the attempt
// tables summed up by the database: one row per learner and item, one row
// per mistake and item, never every attempt.

// Item kinds, as the attempt queries name them.
const (
	KindExercise = "exercise"
	KindQuiz     = "quiz"
)

// ItemAttempts is one learner's history with one exercise or quiz.
type ItemAttempts struct {
	Learner      string
	Course, Kind string // Kind: KindExercise or KindQuiz
	Item         string // the exercise or quiz id
	Attempts     int
	First, Last  time.Time // the first and latest attempt
	// PassAttempt is the number (from 1) of the first attempt that passed
	// (an exercise) or was right (a quiz); 0 when none was.
	PassAttempt int
	PassAt      time.Time // of that attempt
}

// Passed reports whether an attempt passed.
func (a ItemAttempts) Passed() bool { return a.PassAttempt > 0 }

// SectionRead is when a learner first opened a section.
type SectionRead struct {
	Learner, Course, Section string
	At                       time.Time
}

// ClassAttempts is what the overview is computed from, read in one snapshot.
type ClassAttempts struct {
	Learners []Learner // of the class, first joined first
	Items    []ItemAttempts
	Reads    []SectionRead
	Failures []FailureGroup
}

// FailureGroup is one mistake on one item and how many learners made it.
type FailureGroup struct {
	Course, Kind, Item string
	// Failure is what went wrong: an exercise's failed Check sentence as
	// learners share it (see ExerciseResult.Failure); for a quiz, empty.
	Failure string
	// Answers is a quiz's wrong answer (the choices' ids); nil for an exercise.
	Answers []string
	// Key identifies the group in a link: Failure, or the answers as JSON.
	Key      string
	Learners int       // learners who got it at least once
	Still    int       // of them, those who have not passed the item yet
	Last     time.Time // the latest time someone got it
}

// inClass is the condition that keeps the rows of one class's learners.
const inClass = ` IN (SELECT id FROM learners WHERE class_id = ?)`

// ClassAttempts reads the attempts of class's learners summed up per item,
// the sections they opened and their mistakes grouped, in one snapshot.
func (s *Store) ClassAttempts(ctx context.Context, class string) (ClassAttempts, error) {
	var out ClassAttempts
	args := []any{class}
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		if out.Learners, err = s.learners(ctx, tx, class); err != nil {
			return err
		}
		for _, k := range itemTables {
			err := each(ctx, tx, s.q(`SELECT learner_id, course, `+k.item+`, COUNT(*), MIN(at_ms), MAX(at_ms),
					MIN(CASE WHEN `+k.ok+` THEN attempt END), MIN(CASE WHEN `+k.ok+` THEN at_ms END)
				FROM `+k.attempts+` WHERE learner_id`+inClass+`
				GROUP BY learner_id, course, `+k.item), args,
				func(rows *sql.Rows) error {
					a := ItemAttempts{Kind: k.kind}
					var first, last int64
					var passAttempt, passAt sql.NullInt64
					if err := rows.Scan(&a.Learner, &a.Course, &a.Item, &a.Attempts, &first, &last, &passAttempt, &passAt); err != nil {
						return err
					}
					a.First, a.Last = fromMS(first), fromMS(last)
					if passAttempt.Valid {
						a.PassAttempt, a.PassAt = int(passAttempt.Int64), fromMS(passAt.Int64)
					}
					out.Items = append(out.Items, a)
					return nil
				})
			if err != nil {
				return fmt.Errorf("%s attempts: %w", k.kind, err)
			}
		}
		err = each(ctx, tx, s.q(`SELECT learner_id, course, section, first_read_ms FROM section_reads WHERE learner_id`+inClass), args,
			func(rows *sql.Rows) error {
				var r SectionRead
				var at int64
				if err := rows.Scan(&r.Learner, &r.Course, &r.Section, &at); err != nil {
					return err
				}
				r.At = fromMS(at)
				out.Reads = append(out.Reads, r)
				return nil
			})
		if err != nil {
			return fmt.Errorf("sections read: %w", err)
		}
		for _, k := range itemTables {
			err := each(ctx, tx, s.q(`SELECT a.course, a.`+k.item+`, a.`+k.key+`, COUNT(DISTINCT a.learner_id),
					COUNT(DISTINCT CASE WHEN NOT r.`+k.ok+` THEN a.learner_id END), MAX(a.at_ms)
				FROM `+k.attempts+` a JOIN `+k.results+` r
					ON r.learner_id = a.learner_id AND r.course = a.course AND r.`+k.item+` = a.`+k.item+`
				WHERE NOT a.`+k.ok+` AND a.learner_id`+inClass+`
				GROUP BY a.course, a.`+k.item+`, a.`+k.key), args,
				func(rows *sql.Rows) error {
					g := FailureGroup{Kind: k.kind}
					var last int64
					if err := rows.Scan(&g.Course, &g.Item, &g.Key, &g.Learners, &g.Still, &last); err != nil {
						return err
					}
					g.Last = fromMS(last)
					if err := g.decodeKey(); err != nil {
						return err
					}
					out.Failures = append(out.Failures, g)
					return nil
				})
			if err != nil {
				return fmt.Errorf("%s mistakes: %w", k.kind, err)
			}
		}
		return nil
	})
	if err != nil {
		return ClassAttempts{}, fmt.Errorf("attempts of class %q: %w", class, err)
	}
	return out, nil
}

// decodeKey fills Failure or Answers from Key.
func (g *FailureGroup) decodeKey() error {
	if g.Kind == KindExercise {
		g.Failure = g.Key
		return nil
	}
	if err := json.Unmarshal([]byte(g.Key), &g.Answers); err != nil {
		return fmt.Errorf("quiz %s/%s answers: %w", g.Course, g.Item, err)
	}
	return nil
}

// itemTable names the columns of one kind of item's attempt tables, so that
// exercises and quizzes are summed up by the same queries.
type itemTable struct {
	kind, attempts, results string
	item                    string // the item id's column
	ok                      string // the column that says it passed
	key                     string // what a failure is grouped by
}

var itemTables = []itemTable{
	{KindExercise, "exercise_attempts", "exercise_results", "exercise", "passed", "failure"},
	{KindQuiz, "quiz_attempts", "quiz_results", "quiz", "correct", "answers"},
}

func tableOf(kind string) (itemTable, error) {
	for _, k := range itemTables {
		if k.kind == kind {
			return k, nil
		}
	}
	return itemTable{}, fmt.Errorf("no item kind %q", kind)
}

// FailureLearner is one learner who made a given mistake.
type FailureLearner struct {
	Learner Learner
	Times   int       // how many attempts failed that way
	Last    time.Time // the latest of them
	Passed  bool      // the item is passed (or answered right) now
}

// FailureLearners lists the learners of class who made the mistake key (a
// FailureGroup's Key) on one item, the latest first.
func (s *Store) FailureLearners(ctx context.Context, class, course, kind, item, key string) ([]FailureLearner, error) {
	k, err := tableOf(kind)
	if err != nil {
		return nil, err
	}
	var out []FailureLearner
	err = s.read(ctx, func(tx *sql.Tx) error {
		return each(ctx, tx, s.q(`SELECT l.id, l.name, l.created_ms, l.last_seen_ms, COUNT(*), MAX(a.at_ms), r.`+k.ok+`
			FROM `+k.attempts+` a
				JOIN learners l ON l.id = a.learner_id
				JOIN `+k.results+` r ON r.learner_id = a.learner_id AND r.course = a.course AND r.`+k.item+` = a.`+k.item+`
			WHERE l.class_id = ? AND a.course = ? AND a.`+k.item+` = ? AND NOT a.`+k.ok+` AND a.`+k.key+` = ?
			GROUP BY l.id, l.name, l.created_ms, l.last_seen_ms, r.`+k.ok+`
			ORDER BY MAX(a.at_ms) DESC, l.id`), []any{class, course, item, key},
			func(rows *sql.Rows) error {
				f := FailureLearner{Learner: Learner{Class: class}}
				var created, seen, last int64
				if err := rows.Scan(&f.Learner.ID, &f.Learner.Name, &created, &seen, &f.Times, &last, &f.Passed); err != nil {
					return err
				}
				f.Learner.Created, f.Learner.LastSeen, f.Last = fromMS(created), fromMS(seen), fromMS(last)
				out = append(out, f)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("learners with a mistake on %s %s/%s: %w", kind, course, item, err)
	}
	return out, nil
}

// CheckAttempt is one Check a learner pressed, with its evidence.
type CheckAttempt struct {
	Course, Exercise string
	Attempt          int // from 1, per exercise
	ExerciseResult
}

// RecentChecks returns a learner's latest n Checks across all exercises,
// the newest first.
func (s *Store) RecentChecks(ctx context.Context, learner string, n int) ([]CheckAttempt, error) {
	var out []CheckAttempt
	err := s.read(ctx, func(tx *sql.Tx) error {
		return each(ctx, tx, s.q(`SELECT course, exercise, attempt, passed, summary, evidence, at_ms
			FROM exercise_attempts WHERE learner_id = ?
			ORDER BY at_ms DESC, attempt DESC LIMIT ?`), []any{learner, n},
			func(rows *sql.Rows) error {
				var a CheckAttempt
				var evidence sql.NullString
				var at int64
				if err := rows.Scan(&a.Course, &a.Exercise, &a.Attempt, &a.Passed, &a.Summary, &evidence, &at); err != nil {
					return err
				}
				a.Evidence, a.At = rawJSON(evidence), fromMS(at)
				out = append(out, a)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("recent checks of %q: %w", learner, err)
	}
	return out, nil
}
