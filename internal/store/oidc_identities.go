package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// errIdentityTaken ends a transaction that lost the race to tie an
// identity to a new learner: another sign-in of the same person won.
var errIdentityTaken = errors.New("identity tied to another learner meanwhile")

// LearnerByOIDC returns the learner tied to the provider identity (issuer,
// subject), or an error wrapping ErrNotFound.
func (s *Store) LearnerByOIDC(ctx context.Context, issuer, subject string) (Learner, error) {
	l, err := scanLearner(s.r.QueryRowContext(ctx, s.q(`SELECT l.id, l.name, l.class_id, l.created_ms, l.last_seen_ms
		FROM oidc_identities o JOIN learners l ON l.id = o.learner_id WHERE o.issuer = ? AND o.subject = ?`), issuer, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return Learner{}, fmt.Errorf("learner of %s at %s: %w", subject, issuer, ErrNotFound)
	}
	if err != nil {
		return Learner{}, fmt.Errorf("learner of %s at %s: %w", subject, issuer, err)
	}
	return l, nil
}

// EnsureOIDCLearner returns the learner tied to (issuer, subject), first
// creating learner id with name in class and tying it in the same
// transaction when there is none (a learner who exists keeps their class). created tells which happened. Two first sign-ins of the
// same person at once make one learner: the loser's row is rolled back and
// it returns the winner's.
func (s *Store) EnsureOIDCLearner(ctx context.Context, issuer, subject, id, name, class string) (l Learner, created bool, err error) {
	if issuer == "" || subject == "" || id == "" || class == "" {
		return Learner{}, false, errors.New("ensure OIDC learner: empty issuer, subject, id or class")
	}
	if l, err := s.LearnerByOIDC(ctx, issuer, subject); err == nil || !errors.Is(err, ErrNotFound) {
		return l, false, err
	}
	now := ms(s.now())
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO learners (id, name, class_id, created_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)`),
			id, name, class, now, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO oidc_identities (issuer, subject, learner_id, created_ms) VALUES (?, ?, ?, ?)
			ON CONFLICT (issuer, subject) DO NOTHING`), issuer, subject, id, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errIdentityTaken
		}
		return nil
	})
	if errors.Is(err, errIdentityTaken) {
		l, err := s.LearnerByOIDC(ctx, issuer, subject)
		return l, false, err
	}
	if err != nil {
		return Learner{}, false, fmt.Errorf("ensure learner of %s at %s: %w", subject, issuer, err)
	}
	l, err = s.Learner(ctx, id)
	return l, err == nil, err
}
