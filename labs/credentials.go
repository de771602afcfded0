package labs

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"strings"
)

// Credentials are a learner's lab credentials: the MQTT username and password
// and the REST bearer token of their sandbox.
//
// They are derived from Config.Secret with HMAC rather than stored: they stay
// the same across restarts and after an idle sandbox is reclaimed, so the
// code a learner pasted keeps working, and Labs needs no table to check them.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

var passwordEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (l *Labs) mac(purpose, learnerID string) []byte {
	m := hmac.New(sha256.New, l.cfg.Secret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(learnerID))
	return m.Sum(nil)
}

// Credentials returns the learner's credentials. The username is the learner
// id itself, so the front finds the sandbox without a lookup table; the
// password proves it.
func (l *Labs) Credentials(learnerID string) Credentials {
	return Credentials{
		Username: learnerID,
		Password: l.password(learnerID),
		Token:    l.token(learnerID),
	}
}

func (l *Labs) token(learnerID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(learnerID)) + "." + base64.RawURLEncoding.EncodeToString(l.mac("rest-token", learnerID)[:18])
}

func (l *Labs) password(learnerID string) string {
	return strings.ToLower(passwordEncoding.EncodeToString(l.mac("mqtt-password", learnerID)[:10]))
}

// Authenticate checks an MQTT-style username/password pair and returns the
// learner it belongs to.
func (l *Labs) Authenticate(username, password string) (string, bool) {
	if username == "" {
		return "", false
	}
	want := l.password(username)
	if subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return "", false
	}
	return username, true
}

// LearnerByToken returns the learner a REST bearer token belongs to.
func (l *Labs) LearnerByToken(token string) (string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 {
		return "", false
	}
	id, err := base64.RawURLEncoding.DecodeString(token[:i])
	if err != nil || len(id) == 0 {
		return "", false
	}
	learner := string(id)
	// The learner's sandbox keeps the token it was made with (devices post
	// many values a second, each call checked); without a sandbox, only the
	// token's own HMAC, not the whole Credentials. Either way the same
	// value: a token is a function of the secret and the learner alone.
	l.mu.RLock()
	sb := l.sandboxes[learner]
	l.mu.RUnlock()
	want := ""
	if sb != nil {
		want = sb.restToken
	} else {
		want = l.token(learner)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return "", false
	}
	return learner, true
}
