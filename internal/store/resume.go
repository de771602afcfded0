package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

// IssueResumeLink gives learner a new resume token, replacing any earlier
// one (which stops working).
func (s *Store) IssueResumeLink(ctx context.Context, learner string) (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO resume_links (learner_id, token, created_ms) VALUES (?, ?, ?)
			ON CONFLICT (learner_id) DO UPDATE SET token = excluded.token, created_ms = excluded.created_ms`),
			learner, token, ms(s.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("issue resume link for %q: %w", learner, err)
	}
	return token, nil
}

// ResumeLink returns learner's current resume token, issuing one if they
// have none yet.
func (s *Store) ResumeLink(ctx context.Context, learner string) (string, error) {
	var token string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT token FROM resume_links WHERE learner_id = ?`), learner).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return s.IssueResumeLink(ctx, learner)
	}
	if err != nil {
		return "", fmt.Errorf("resume link of %q: %w", learner, err)
	}
	return token, nil
}

// LearnerByResumeLink returns the learner whose current token this is, or
// an error wrapping ErrNotFound for a token replaced or never issued.
func (s *Store) LearnerByResumeLink(ctx context.Context, token string) (Learner, error) {
	l, err := scanLearner(s.r.QueryRowContext(ctx, s.q(`SELECT l.id, l.name, l.class_id, l.created_ms, l.last_seen_ms
		FROM resume_links r JOIN learners l ON l.id = r.learner_id WHERE r.token = ?`), token))
	if errors.Is(err, sql.ErrNoRows) {
		return Learner{}, fmt.Errorf("resume link: %w", ErrNotFound)
	}
	if err != nil {
		return Learner{}, fmt.Errorf("resume link: %w", err)
	}
	return l, nil
}

// LearnerNamed returns a learner of class whose display name is name,
// ignoring the case of ASCII letters, or an error wrapping ErrNotFound.
// Two classes may each have their Ada.
func (s *Store) LearnerNamed(ctx context.Context, class, name string) (Learner, error) {
	l, err := scanLearner(s.r.QueryRowContext(ctx, s.q(`SELECT `+learnerColumns+`
		FROM learners WHERE class_id = ? AND LOWER(name) = LOWER(?) ORDER BY created_ms, id LIMIT 1`), class, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Learner{}, fmt.Errorf("learner named %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Learner{}, fmt.Errorf("learner named %q: %w", name, err)
	}
	return l, nil
}
