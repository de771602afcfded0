package console

// ErrorKind says what sort of mistake an Error is, so that the HTTP side can
// pick a status.
type ErrorKind int

// Kinds of Error.
const (
	KindInvalid     ErrorKind = iota // a field's value is wrong
	KindNotFound                     // no such console client
	KindConflict                     // the client is not in a state for this (not connected…)
	KindLimit                        // too many clients, or the sandbox's limits refused it
	KindRefused                      // the broker refused it (CONNACK, SUBACK or PUBACK reason code)
	KindUnavailable                  // the console or the sandbox is closing
)

// Error is a learner-facing error, naming the form field it is about when
// there is one ("topic", "filter", "payload", "will.topic"…).
type Error struct {
	Kind    ErrorKind
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func invalid(field, msg string) *Error { return &Error{Kind: KindInvalid, Field: field, Message: msg} }

func notConnected(id string) *Error {
	return &Error{Kind: KindConflict, Message: "client " + id + " is not connected: press Connect first"}
}
