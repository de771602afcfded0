package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ErrNameTaken is returned (wrapped) when an instructor already has the
// name.
var ErrNameTaken = errors.New("name taken")

// Instructor is someone who signs in to /teach with a personal token.
type Instructor struct {
	ID      string
	Name    string // shown on the sessions page as who signed in
	Created time.Time
}

// AddInstructor adds an instructor and returns their personal token, which
// is kept only as a hash: this is the one time it can be shown.
func (s *Store) AddInstructor(ctx context.Context, name string) (Instructor, string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return Instructor{}, "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return Instructor{}, "", err
	}
	in := Instructor{ID: hex.EncodeToString(id), Name: name, Created: fromMS(ms(s.now()))}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM instructors WHERE name = ?`), name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrNameTaken
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO instructors (id, name, token_hash, created_ms) VALUES (?, ?, ?, ?)`),
			in.ID, in.Name, tokenHash(token), ms(in.Created))
		return err
	})
	if err != nil {
		return Instructor{}, "", fmt.Errorf("add instructor %q: %w", name, err)
	}
	return in, token, nil
}

// InstructorByToken returns the instructor whose personal token this is,
// or an error wrapping ErrNotFound.
func (s *Store) InstructorByToken(ctx context.Context, token string) (Instructor, error) {
	in, err := scanInstructor(s.r.QueryRowContext(ctx, s.q(`SELECT id, name, created_ms FROM instructors WHERE token_hash = ?`), tokenHash(token)))
	if errors.Is(err, sql.ErrNoRows) {
		return Instructor{}, fmt.Errorf("instructor token: %w", ErrNotFound)
	}
	if err != nil {
		return Instructor{}, fmt.Errorf("instructor token: %w", err)
	}
	return in, nil
}

// Instructors lists the instructors with a personal token, first added
// first.
func (s *Store) Instructors(ctx context.Context) ([]Instructor, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, created_ms FROM instructors ORDER BY created_ms, id`)
	if err != nil {
		return nil, fmt.Errorf("list instructors: %w", err)
	}
	defer rows.Close()
	var out []Instructor
	for rows.Next() {
		in, err := scanInstructor(rows)
		if err != nil {
			return nil, fmt.Errorf("list instructors: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// RemoveInstructor deletes the instructor named name: their token stops
// working and their sessions (those whose Who is their name) are signed
// out, in one transaction.
func (s *Store) RemoveInstructor(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM instructors WHERE name = ?`), name)
		if err != nil {
			return fmt.Errorf("remove instructor %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("remove instructor %q: %w", name, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE instructor_sessions SET revoked_ms = ? WHERE who = ? AND revoked_ms IS NULL`), ms(s.now()), name); err != nil {
			return fmt.Errorf("remove instructor %q: sign out their sessions: %w", name, err)
		}
		return nil
	})
}

// tokenHash is how a personal token is kept: its SHA-256. The token has
// 144 random bits, so a plain hash is as good as a slow one here.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func scanInstructor(row interface{ Scan(...any) error }) (Instructor, error) {
	var in Instructor
	var created int64
	if err := row.Scan(&in.ID, &in.Name, &created); err != nil {
		return Instructor{}, err
	}
	in.Created = fromMS(created)
	return in, nil
}
