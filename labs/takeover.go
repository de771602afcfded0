package labs

import (
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// takeoverWait bounds how long a new connection waits for an older one with
// the same client id to finish its clean-up. The clean-up is a few map
// operations once the old connection is closed, so the bound is only met if
// something is badly stuck; the new client then goes on as mochi would.
const takeoverWait = 2 * time.Second

// takeoverGuard closes a race in mochi v2.7.9 between an old connection's
// clean-up and a new connection with the same client id.
//
// When a clean-session client's connection ends, mochi checks that it was
// not taken over, then unsubscribes it and deletes its client id from
// Clients. A new connection with the same id that takes the old one over
// between that check and the delete is added to Clients first and then
// deleted by the old connection's clean-up: the new client gets its CONNACK
// and SUBACKs and is never delivered anything, because deliveries look
// subscribers up in Clients by id. A learner who presses Ctrl+C and runs
// mosquitto_sub again at once, or a console client reconnecting, hits it
// on a busy broker. TestTakeoverRaceInBareMochi pins the race; the guard
// makes the new connection wait, before it reads its first packet, until
// every older connection with its client id has left EstablishConnection,
// and then puts it back in Clients if that clean-up took it out.
type takeoverGuard struct {
	mu   sync.Mutex
	live map[string][]*handover // client id → connections inside EstablishConnection, oldest first
}

// handover is one connection inside EstablishConnection.
type handover struct {
	conn net.Conn
	done chan struct{} // closed when EstablishConnection has returned
}

// enter records conn, whose CONNECT named clientID, as handed to the
// broker; the returned func records that EstablishConnection returned.
// An empty client id is one mochi makes up, unique, so it needs no guard.
func (g *takeoverGuard) enter(conn net.Conn, clientID string) (leave func()) {
	if clientID == "" {
		return func() {}
	}
	h := &handover{conn: conn, done: make(chan struct{})}
	g.mu.Lock()
	if g.live == nil {
		g.live = make(map[string][]*handover)
	}
	g.live[clientID] = append(g.live[clientID], h)
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		hs := g.live[clientID]
		for i, x := range hs {
			if x == h {
				hs = append(hs[:i:i], hs[i+1:]...)
				break
			}
		}
		if len(hs) == 0 {
			delete(g.live, clientID)
		} else {
			g.live[clientID] = hs
		}
		g.mu.Unlock()
		close(h.done)
	}
}

// older returns the done channels of the connections with clientID that
// were handed to the broker before conn and are still inside it.
func (g *takeoverGuard) older(conn net.Conn, clientID string) []chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []chan struct{}
	for _, h := range g.live[clientID] {
		if h.conn == conn {
			return out
		}
		out = append(out, h.done)
	}
	return nil // conn was not handed over through enter: nothing to order it against
}

// superseded reports whether a connection with clientID was handed to the
// broker after conn and is still inside it: conn is being taken over. mochi
// marks a taken-over client only after it has already closed its
// connection (and a client that reads the DISCONNECT 0x8E may close first),
// so the old connection's own clean-up can run before the mark; the order
// of hand-overs is known from the start.
func (g *takeoverGuard) superseded(conn net.Conn, clientID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	hs := g.live[clientID]
	for i, h := range hs {
		if h.conn == conn {
			return i < len(hs)-1
		}
	}
	return false
}

// takeoverHook applies a takeoverGuard to one mochi server.
type takeoverHook struct {
	mqtt.HookBase
	guard  *takeoverGuard
	server *mqtt.Server
}

func (h *takeoverHook) ID() string { return "takeover" }

func (h *takeoverHook) Provides(b byte) bool { return b == mqtt.OnSessionEstablished }

// OnSessionEstablished runs after CONNACK and before the client's first
// packet is read, so no SUBSCRIBE of the new connection is processed until
// the older ones are gone and it is back in Clients.
func (h *takeoverHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	deadline := time.NewTimer(takeoverWait)
	defer deadline.Stop()
	for _, done := range h.guard.older(cl.Net.Conn, cl.ID) {
		select {
		case <-done:
		case <-deadline.C:
			h.server.Log.Warn("an older connection with this client id is still closing; going on without it", "client", cl.ID)
			return
		}
	}
	if _, ok := h.server.Clients.Get(cl.ID); !ok && !cl.Closed() {
		h.server.Clients.Add(cl)
	}
}
