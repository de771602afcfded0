package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// CourseProgress is what one learner has done in one course.
type CourseProgress struct {
	Course    string
	Sections  map[string]time.Time        // section slug → first read
	Quizzes   map[string]QuizProgress     // quiz id → latest answer
	Exercises map[string]ExerciseProgress // exercise id → result
}

// QuizProgress is a quiz as the learner sees it: the latest answer wins.
type QuizProgress struct {
	Correct  bool
	Attempts int
	At       time.Time // of the latest answer
	Answers  []string  // the latest answer's choices
}

// ExerciseProgress is an exercise's result: once passed it stays passed,
// whatever later attempts say.
type ExerciseProgress struct {
	Passed   bool
	At       time.Time // of the pass when passed, else of the latest attempt
	Attempts int
	Summary  string          // the sentence that goes with At
	Evidence json.RawMessage // the evidence that goes with At
	// FailingSince is the first failed check of an exercise not passed
	// yet: how long the learner has been stuck on it. Zero once passed.
	FailingSince time.Time
}

// LearnerProgress is one row of the instructor's table: a learner and
// their progress keyed by course id.
type LearnerProgress struct {
	Learner Learner
	Courses map[string]*CourseProgress
}

// Progress returns what learner has done, keyed by course id; courses the
// learner never touched are absent. An unknown learner is ErrNotFound.
func (s *Store) Progress(ctx context.Context, learner string) (map[string]*CourseProgress, error) {
	var out map[string]*CourseProgress
	err := s.read(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM learners WHERE id = ?`), learner).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		all, err := s.loadProgress(ctx, tx, progressScope{learner: learner})
		if err != nil {
			return err
		}
		out = all[learner]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("progress of learner %q: %w", learner, err)
	}
	if out == nil {
		out = map[string]*CourseProgress{}
	}
	return out, nil
}

// ClassProgress returns every learner of class, first joined first, with
// their progress: the instructor's live table and its CSV export. It reads
// one snapshot, so a row never mixes two moments.
func (s *Store) ClassProgress(ctx context.Context, class string) ([]LearnerProgress, error) {
	var out []LearnerProgress
	err := s.read(ctx, func(tx *sql.Tx) error {
		ls, err := s.learners(ctx, tx, class)
		if err != nil {
			return err
		}
		all, err := s.loadProgress(ctx, tx, progressScope{class: class})
		if err != nil {
			return err
		}
		out = make([]LearnerProgress, 0, len(ls))
		for _, l := range ls {
			courses := all[l.ID]
			if courses == nil {
				courses = map[string]*CourseProgress{}
			}
			out = append(out, LearnerProgress{Learner: l, Courses: courses})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("progress of class %q: %w", class, err)
	}
	return out, nil
}

// progressByLearner is learner id → course id → progress.
type progressByLearner map[string]map[string]*CourseProgress

// course returns the entry for learner and course, creating it.
func (p progressByLearner) course(learner, course string) *CourseProgress {
	byCourse := p[learner]
	if byCourse == nil {
		byCourse = map[string]*CourseProgress{}
		p[learner] = byCourse
	}
	cp := byCourse[course]
	if cp == nil {
		cp = &CourseProgress{
			Course:    course,
			Sections:  map[string]time.Time{},
			Quizzes:   map[string]QuizProgress{},
			Exercises: map[string]ExerciseProgress{},
		}
		byCourse[course] = cp
	}
	return cp
}

// progressScope is whose progress loadProgress reads: one learner, the
// learners of one class, or (both empty) everyone.
type progressScope struct{ learner, class string }

// cond is the scope as a condition on the learner id column col, and its
// arguments; "" for everyone.
func (sc progressScope) cond(col string) (string, []any) {
	switch {
	case sc.learner != "":
		return col + " = ?", []any{sc.learner}
	case sc.class != "":
		return col + " IN (SELECT id FROM learners WHERE class_id = ?)", []any{sc.class}
	}
	return "", nil
}

// loadProgress reads the result tables for the learners of scope. Three
// scans, not one join: the tables are independent and a join would
// multiply their rows.
func (s *Store) loadProgress(ctx context.Context, tx *sql.Tx, scope progressScope) (progressByLearner, error) {
	cond, args := scope.cond("learner_id")
	where := ""
	if cond != "" {
		where = s.q(" WHERE " + cond)
	}
	p := progressByLearner{}

	err := each(ctx, tx, `SELECT learner_id, course, section, first_read_ms FROM section_reads`+where, args,
		func(rows *sql.Rows) error {
			var l, c, sec string
			var at int64
			if err := rows.Scan(&l, &c, &sec, &at); err != nil {
				return err
			}
			p.course(l, c).Sections[sec] = fromMS(at)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("sections read: %w", err)
	}

	err = each(ctx, tx, `SELECT learner_id, course, quiz, correct, attempts, at_ms, answers FROM quiz_results`+where, args,
		func(rows *sql.Rows) error {
			var l, c, quiz, answers string
			var q QuizProgress
			var at int64
			if err := rows.Scan(&l, &c, &quiz, &q.Correct, &q.Attempts, &at, &answers); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(answers), &q.Answers); err != nil {
				return fmt.Errorf("quiz %s/%s answers: %w", c, quiz, err)
			}
			q.At = fromMS(at)
			p.course(l, c).Quizzes[quiz] = q
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("quiz answers: %w", err)
	}

	err = each(ctx, tx, `SELECT learner_id, course, exercise, passed, attempts, at_ms, summary, evidence FROM exercise_results`+where, args,
		func(rows *sql.Rows) error {
			var l, c, ex string
			var e ExerciseProgress
			var at int64
			var evidence sql.NullString
			if err := rows.Scan(&l, &c, &ex, &e.Passed, &e.Attempts, &at, &e.Summary, &evidence); err != nil {
				return err
			}
			e.At, e.Evidence = fromMS(at), rawJSON(evidence)
			p.course(l, c).Exercises[ex] = e
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("exercise results: %w", err)
	}

	// When each unpassed exercise started failing: its first attempt, all
	// of its attempts having failed.
	failing := `SELECT a.learner_id, a.course, a.exercise, MIN(a.at_ms)
		FROM exercise_attempts a JOIN exercise_results r
			ON r.learner_id = a.learner_id AND r.course = a.course AND r.exercise = a.exercise
		WHERE NOT r.passed`
	if cond, _ := scope.cond("a.learner_id"); cond != "" {
		failing += " AND " + cond
	}
	err = each(ctx, tx, s.q(failing+" GROUP BY a.learner_id, a.course, a.exercise"), args,
		func(rows *sql.Rows) error {
			var l, c, ex string
			var at int64
			if err := rows.Scan(&l, &c, &ex, &at); err != nil {
				return err
			}
			cp := p.course(l, c)
			if e, ok := cp.Exercises[ex]; ok && !e.Passed {
				e.FailingSince = fromMS(at)
				cp.Exercises[ex] = e
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("exercise failures: %w", err)
	}
	return p, nil
}

// each runs query and calls fn for every row.
func each(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
