package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
)

// session is one MQTT connection of a console client, in either protocol.
type session interface {
	subscribe(ctx context.Context, filter string, qos byte) (granted byte, err error)
	unsubscribe(ctx context.Context, filter string) error
	publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error
	disconnect()           // DISCONNECT, then close: no will
	drop()                 // close without DISCONNECT: the will fires
	done() <-chan struct{} // closed when the connection has ended
}

// sessionHooks are how a session tells its client what happens.
type sessionHooks struct {
	message func(topic string, payload []byte, qos byte, retain, dup bool)
	ended   func(reason string) // the connection ended without the learner asking
}

// connectFunc connects over conn and reports whether the broker resumed a session.
type connectFunc func(ctx context.Context, conn net.Conn, o Options, user, pass string, h sessionHooks) (session, bool, error)

// refusal is the broker saying no with a reason code.
type refusal struct {
	code   byte
	reason string // the broker's reason string (MQTT 5), if any
}

func (r *refusal) Error() string { return reasonWords(r.code, r.reason) }

// withField turns a session error into a learner-facing Error at field.
func withField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var r *refusal
	if errors.As(err, &r) {
		kind := KindRefused
		if r.code == 0x96 || r.code == 0x97 || r.code == 0x95 {
			kind = KindLimit
		}
		if r.code == 0x95 || r.code == 0x97 {
			field = "payload"
		}
		return &Error{Kind: kind, Field: field, Message: "the broker refused it: " + r.Error()}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindConflict, Field: field, Message: "the broker did not answer in time; the connection may be lost"}
	}
	return &Error{Kind: KindConflict, Field: field, Message: "the connection failed: " + describe(err)}
}

// describe says in words why a connection ended.
func describe(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "the connection closed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrClosedPipe), errors.Is(err, net.ErrClosed):
		return "the connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer from the broker within the keep-alive"
	}
	return err.Error()
}

// reasonWords turns an MQTT reason or return code into words a learner can
// act on, preferring the broker's own reason string.
func reasonWords(code byte, reason string) string {
	words := map[byte]string{
		0x01: "unacceptable protocol version",
		0x02: "client id rejected",
		0x03: "server unavailable",
		0x04: "bad user name or password",
		0x05: "not authorized",
		0x80: "unspecified error",
		0x81: "malformed packet",
		0x82: "protocol error",
		0x83: "implementation specific error",
		0x84: "unsupported protocol version",
		0x85: "client id not valid",
		0x86: "bad user name or password",
		0x87: "not authorized",
		0x88: "server unavailable",
		0x89: "server busy",
		0x8B: "the sandbox is shutting down",
		0x8D: "keep-alive timeout",
		0x8E: "another connection took over this client id",
		0x8F: "topic filter not valid",
		0x90: "topic name not valid",
		0x93: "receive maximum exceeded",
		0x95: "packet too large",
		0x96: "message rate too high: your sandbox limits how many messages a second it accepts; wait a moment",
		0x97: "quota exceeded: your sandbox holds too many messages or subscriptions",
		0x99: "payload format not valid",
		0x9E: "shared subscriptions not supported",
		0xA2: "wildcard subscriptions not supported",
	}
	w, ok := words[code]
	if !ok {
		w = fmt.Sprintf("reason code 0x%02X", code)
	}
	if reason != "" && reason != w {
		return w + " (" + reason + ")"
	}
	return w
}
