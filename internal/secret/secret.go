// Package secret keeps the server's secrets, so that learners' cookies,
// lab credentials and the instructor token survive a restart: in the data
// folder of a single node, or in one file that every node of a cluster
// shares, so that what one node signs every other verifies.
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreate reads the secret in file, or creates it with n random bytes
// (hex encoded) readable only by this user. created tells whether it is new.
func LoadOrCreate(file string, n int) (value string, created bool, err error) {
	b, err := os.ReadFile(file)
	if err == nil {
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", false, fmt.Errorf("secret file %s is empty: delete it to make a new one", file)
		}
		return v, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("read secret: %w", err)
	}
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", false, err
	}
	v := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return "", false, err
	}
	// O_EXCL: two processes starting at once must not each write their own.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreate(file, n)
	}
	if err != nil {
		return "", false, fmt.Errorf("create secret: %w", err)
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return v, true, f.Close()
}

// MinShared is the shortest secret Load accepts: 32 characters, e.g. 16
// random bytes in hex.
const MinShared = 32

// Load reads a secret that an operator made and handed to every node. It
// is never created here: a node that made its own would sign cookies no
// other node accepts.
func Load(file string) (string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("secret file %s does not exist: make it once (openssl rand -hex 32 > %s) and give the same file to every node", file, file)
	}
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if len(v) < MinShared {
		return "", fmt.Errorf("secret file %s holds %d characters, fewer than %d: fill it with random ones (openssl rand -hex 32 > %s)", file, len(v), MinShared, file)
	}
	return v, nil
}

// Derive makes a value for purpose from secret (hex HMAC-SHA256, 32
// characters): the same on every node that holds the secret, and telling
// nothing about the secret itself.
func Derive(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("derive: " + purpose))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Signer signs short values (a learner id in a cookie) with HMAC-SHA256.
type Signer struct{ key []byte }

// NewSigner makes a Signer from a secret; purpose separates keys used for
// different things from the same secret.
func NewSigner(secret, purpose string) Signer {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return Signer{key: m.Sum(nil)}
}

// Sign returns value with its signature appended.
func (s Signer) Sign(value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + s.mac(value)
}

// Verify returns the value of a string made by Sign, if the signature holds.
func (s Signer) Verify(signed string) (string, bool) {
	enc, sig, ok := strings.Cut(signed, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	if !hmac.Equal([]byte(sig), []byte(s.mac(string(raw)))) {
		return "", false
	}
	return string(raw), true
}

func (s Signer) mac(value string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
