package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// DefaultClass is the id of the class every server has: the one class of
// courselab before classes existed. Learners who join without a code, and
// every learner of an older database, are in it.
const DefaultClass = "default"

// ErrCodeTaken is returned (wrapped) when another class already has the
// join code.
var ErrCodeTaken = errors.New("join code taken")

// Class is a group of learners an instructor runs: they join it with its
// code, and the instructor's table and CSV show one class at a time.
type Class struct {
	ID      string
	Name    string
	Code    string   // what learners type to join; "" for the default class
	Open    bool     // learners may join; a closed class keeps its learners
	Courses []string // the course ids the class takes; empty: every course
	Created time.Time
	// Learners is how many joined, filled by Classes and Class.
	Learners int
}

// IsDefault tells whether this is the default class.
func (c Class) IsDefault() bool { return c.ID == DefaultClass }

// Takes tells whether the class takes course: every course when the class
// names none.
func (c Class) Takes(course string) bool {
	if len(c.Courses) == 0 {
		return true
	}
	for _, id := range c.Courses {
		if id == course {
			return true
		}
	}
	return false
}

// classColumns are what scanClass reads, in its order.
const classColumns = `c.id, c.name, c.code, c.is_open, c.courses, c.created_ms,
	(SELECT COUNT(*) FROM learners l WHERE l.class_id = c.id)`

// Classes lists every class, the default class first, then in the order
// they were created.
func (s *Store) Classes(ctx context.Context) ([]Class, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+classColumns+` FROM classes c ORDER BY c.created_ms, c.id`)
	if err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	defer rows.Close()
	var out []Class
	for rows.Next() {
		c, err := scanClass(rows)
		if err != nil {
			return nil, fmt.Errorf("list classes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Class returns the class id, or an error wrapping ErrNotFound.
func (s *Store) Class(ctx context.Context, id string) (Class, error) {
	c, err := scanClass(s.r.QueryRowContext(ctx, s.q(`SELECT `+classColumns+` FROM classes c WHERE c.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Class{}, fmt.Errorf("class %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Class{}, fmt.Errorf("class %q: %w", id, err)
	}
	return c, nil
}

// ClassByCode returns the class whose join code is code, or an error
// wrapping ErrNotFound. Codes are compared as stored: callers normalise
// what a learner typed first.
func (s *Store) ClassByCode(ctx context.Context, code string) (Class, error) {
	c, err := scanClass(s.r.QueryRowContext(ctx, s.q(`SELECT `+classColumns+` FROM classes c WHERE c.code = ?`), code))
	if errors.Is(err, sql.ErrNoRows) {
		return Class{}, fmt.Errorf("class with code %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return Class{}, fmt.Errorf("class with code %q: %w", code, err)
	}
	return c, nil
}

// CreateClass stores a new class and returns it with its id, made from
// its name. A code another class has is an error wrapping ErrCodeTaken.
func (s *Store) CreateClass(ctx context.Context, c Class) (Class, error) {
	c.ID = classID(c.Name)
	c.Created = fromMS(ms(s.now()))
	courses, err := json.Marshal(nonNil(c.Courses))
	if err != nil {
		return Class{}, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := codeFree(ctx, s, tx, c.Code, c.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO classes (id, name, code, is_open, courses, created_ms) VALUES (?, ?, ?, ?, ?, ?)`),
			c.ID, c.Name, nullIfEmpty(c.Code), c.Open, string(courses), ms(c.Created))
		return err
	})
	if err != nil {
		return Class{}, fmt.Errorf("create class %q: %w", c.Name, err)
	}
	return c, nil
}

// UpdateClass stores c's name, code, open state and courses. The default
// class keeps having no code.
func (s *Store) UpdateClass(ctx context.Context, c Class) error {
	if c.IsDefault() {
		c.Code = ""
	}
	courses, err := json.Marshal(nonNil(c.Courses))
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := codeFree(ctx, s, tx, c.Code, c.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE classes SET name = ?, code = ?, is_open = ?, courses = ? WHERE id = ?`),
			c.Name, nullIfEmpty(c.Code), c.Open, string(courses), c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update class %q: %w", c.ID, err)
	}
	return nil
}

// codeFree refuses code when a class other than id has it. Checked in the
// write transaction, so the refusal is a clear error rather than the
// engine's unique-constraint message (which the constraint still backs).
func codeFree(ctx context.Context, s *Store, tx *sql.Tx, code, id string) error {
	if code == "" {
		return nil
	}
	var other string
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM classes WHERE code = ? AND id <> ?`), code, id).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("code %q: %w", code, ErrCodeTaken)
}

func scanClass(row interface{ Scan(...any) error }) (Class, error) {
	var c Class
	var code sql.NullString
	var courses string
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &code, &c.Open, &courses, &created, &c.Learners); err != nil {
		return Class{}, err
	}
	if err := json.Unmarshal([]byte(courses), &c.Courses); err != nil {
		return Class{}, fmt.Errorf("class %q courses: %w", c.ID, err)
	}
	c.Code, c.Created = code.String, fromMS(created)
	return c, nil
}

// classID makes an id an instructor can read in a link ("iot-monday-3f9c")
// from the class's name.
func classID(name string) string { return ReadableID(name, "class", 2) }

// ReadableID makes an id a person can read in a link or a table
// ("ada-lovelace-3f9c"): the ASCII letters and digits of name, lower-cased,
// runs of anything else as one dash, at most 24 characters (fallback when
// nothing is left), then randomBytes random bytes in hex.
func ReadableID(name, fallback string, randomBytes int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 24 {
			break
		}
	}
	base := strings.Trim(b.String(), "-")
	if base == "" {
		base = fallback
	}
	suffix := make([]byte, randomBytes)
	_, _ = rand.Read(suffix)
	return base + "-" + hex.EncodeToString(suffix)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
