package labs

import "errors"

// Kinds of cloud errors, for errors.Is; the HTTP layer maps them to status
// codes (404, 400, 413, 429, 403).
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid request")
	ErrTooLarge    = errors.New("too large")
	ErrRateLimited = errors.New("rate limit exceeded")
	ErrQuota       = errors.New("quota exceeded")
)

// CloudError is an error of the simulated cloud with a message written for a
// beginner: what went wrong and what to do next.
type CloudError struct {
	Kind    error // one of ErrNotFound, ErrInvalid, ErrTooLarge, ErrRateLimited, ErrQuota
	Message string
}

// Error returns the beginner-facing message.
func (e *CloudError) Error() string { return e.Message }

// Unwrap returns Kind, so errors.Is(err, ErrNotFound) works.
func (e *CloudError) Unwrap() error { return e.Kind }
