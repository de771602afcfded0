// Package console runs the lab console's MQTT clients: real MQTT clients
// (MQTT 5 with github.com/eclipse/paho.golang, MQTT 3.1.1 with a small client
// of its own over mochi's packets) that the server connects on a learner's
// behalf, so that a learner with only a browser can subscribe, publish and
// fire wills. Each client reaches the learner's sandbox through the front
// like any other client, over an in-memory pipe marked as the console's
// transport, so the journal and the exercise checks see it as the learner's.
// It holds no HTML and no HTTP.
package console

import (
	"sync"
	"time"

	"github.com/courselab/courselab/labs"
)

// Defaults of Config.
const (
	DefaultMaxClients  = 4
	DefaultMaxMessages = 200
)

// MaxPayloadShown is how many bytes of a received payload a Message keeps.
const MaxPayloadShown = 4 << 10

// Config bounds the console. Zero fields take the defaults.
type Config struct {
	MaxClients  int           // console clients per learner (default DefaultMaxClients)
	MaxMessages int           // received messages kept per client (default DefaultMaxMessages)
	IdleTimeout time.Duration // close a learner's console clients after this long unused and unwatched (default: the labs' idle timeout)
}

// Console holds every learner's Desk. Build it with New; Close disconnects
// every console client.
type Console struct {
	labs *labs.Labs
	cfg  Config

	mu     sync.Mutex
	desks  map[string]*Desk
	closed bool
}

// New returns a Console whose clients connect through l's front.
func New(l *labs.Labs, cfg Config) *Console {
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = DefaultMaxMessages
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = l.Config().IdleTimeout
	}
	return &Console{labs: l, cfg: cfg, desks: map[string]*Desk{}}
}

// MaxClients is how many console clients a learner may hold at once.
func (c *Console) MaxClients() int { return c.cfg.MaxClients }

// Desk returns the learner's desk, creating it if needed, and counts this
// as use (which keeps its clients from being closed as idle).
func (c *Console) Desk(learner string) (*Desk, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, &Error{Kind: KindUnavailable, Message: "the lab console is shutting down"}
	}
	d := c.desks[learner]
	if d == nil {
		d = newDesk(c, learner)
		c.desks[learner] = d
	}
	d.touch()
	return d, nil
}

// Lookup returns the learner's desk if it exists, without creating it.
func (c *Console) Lookup(learner string) *Desk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.desks[learner]
}

// Close disconnects every console client, as a server shutdown does.
func (c *Console) Close() {
	c.mu.Lock()
	c.closed = true
	all := c.desks
	c.desks = map[string]*Desk{}
	c.mu.Unlock()
	for _, d := range all {
		d.close("the server is shutting down")
	}
}

// forget removes an idle desk, unless it was used again meanwhile.
func (c *Console) forget(d *Desk) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.desks[d.learner] != d || !d.idle() {
		return false
	}
	delete(c.desks, d.learner)
	return true
}
