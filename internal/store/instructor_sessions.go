package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// InstructorSession is one sign-in of an instructor: what their cookie names.
type InstructorSession struct {
	ID      string
	Who     string // how they signed in ("token", say), shown in the list
	Created time.Time
	Expires time.Time
	Revoked bool
}

// Active tells whether the session still lets its holder in at now.
func (is InstructorSession) Active(now time.Time) bool {
	return !is.Revoked && now.Before(is.Expires)
}

// StartInstructorSession records a new session that lasts ttl.
func (s *Store) StartInstructorSession(ctx context.Context, who string, ttl time.Duration) (InstructorSession, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return InstructorSession{}, err
	}
	now := s.now()
	is := InstructorSession{ID: hex.EncodeToString(b), Who: who, Created: fromMS(ms(now)), Expires: fromMS(ms(now.Add(ttl)))}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO instructor_sessions (id, who, created_ms, expires_ms) VALUES (?, ?, ?, ?)`),
			is.ID, is.Who, ms(is.Created), ms(is.Expires))
		return err
	})
	if err != nil {
		return InstructorSession{}, fmt.Errorf("start instructor session: %w", err)
	}
	return is, nil
}

// InstructorSession returns the session id, expired or revoked ones too,
// or an error wrapping ErrNotFound.
func (s *Store) InstructorSession(ctx context.Context, id string) (InstructorSession, error) {
	is, err := scanInstructorSession(s.r.QueryRowContext(ctx,
		s.q(`SELECT id, who, created_ms, expires_ms, revoked_ms FROM instructor_sessions WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return InstructorSession{}, fmt.Errorf("instructor session: %w", ErrNotFound)
	}
	if err != nil {
		return InstructorSession{}, fmt.Errorf("instructor session: %w", err)
	}
	return is, nil
}

// InstructorSessions lists the sessions still active, newest first.
func (s *Store) InstructorSessions(ctx context.Context) ([]InstructorSession, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, who, created_ms, expires_ms, revoked_ms FROM instructor_sessions
		WHERE revoked_ms IS NULL AND expires_ms > ? ORDER BY created_ms DESC, id`), ms(s.now()))
	if err != nil {
		return nil, fmt.Errorf("list instructor sessions: %w", err)
	}
	defer rows.Close()
	var out []InstructorSession
	for rows.Next() {
		is, err := scanInstructorSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list instructor sessions: %w", err)
		}
		out = append(out, is)
	}
	return out, rows.Err()
}

// RevokeInstructorSession signs session id out; its cookie stops working.
func (s *Store) RevokeInstructorSession(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE instructor_sessions SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL`), ms(s.now()), id)
		if err != nil {
			return fmt.Errorf("revoke instructor session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("revoke instructor session %q: %w", id, ErrNotFound)
		}
		return nil
	})
}

func scanInstructorSession(row interface{ Scan(...any) error }) (InstructorSession, error) {
	var is InstructorSession
	var created, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&is.ID, &is.Who, &created, &expires, &revoked); err != nil {
		return InstructorSession{}, err
	}
	is.Created, is.Expires, is.Revoked = fromMS(created), fromMS(expires), revoked.Valid
	return is, nil
}
