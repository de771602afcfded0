package labs

import (
	"net"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// NewTakeoverGuard gives the contract tests the hook a sandbox adds to its
// broker against the takeover race, and the enter func its front calls
// around EstablishConnection.
func NewTakeoverGuard(server *mqtt.Server) (hook mqtt.Hook, enter func(conn net.Conn, clientID string) (leave func())) {
	g := new(takeoverGuard)
	return &takeoverHook{guard: g, server: server}, g.enter
}

// WithoutJournal makes l's new sandboxes journal nothing, so that a
// benchmark measures what journaling costs.
func WithoutJournal(l *Labs) { l.withoutJournal = true }
