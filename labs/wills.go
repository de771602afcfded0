package labs

import (
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// willBook keeps a copy of the will the broker holds for each client, for
// Sessions to read. mochi writes a client's Properties.Will without a lock
// when the client disconnects gracefully (attachClient, in the client's
// goroutine) and when a delayed will is sent (the server's loop), so reading
// it from a request's goroutine is a data race. The hooks below run in
// those same goroutines, right after each write, and keep the copy under
// the book's own lock.
type willBook struct {
	mqtt.HookBase
	mu    sync.Mutex
	wills map[string]heldWill // client id → its will, while the broker holds one
}

// heldWill is a will and the connection that left it: a connection that
// was taken over must not remove its successor's will.
type heldWill struct {
	conn *mqtt.Client
	will Will
}

func (b *willBook) ID() string { return "courselab-wills" }

func (b *willBook) Provides(x byte) bool {
	return x == mqtt.OnSessionEstablish || x == mqtt.OnDisconnect || x == mqtt.OnWillSent || x == mqtt.OnClientExpired
}

// OnSessionEstablish records the will of the CONNECT (or that it has none,
// which ends any will an earlier connection left), before the client is
// listed and its CONNACK sent.
func (b *willBook) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	w := cl.Properties.Will
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.Flag == 0 {
		delete(b.wills, cl.ID)
		return
	}
	if b.wills == nil {
		b.wills = map[string]heldWill{}
	}
	b.wills[cl.ID] = heldWill{conn: cl, will: Will{Topic: w.TopicName, QoS: w.Qos, Retain: w.Retain, Payload: excerpt(w.Payload)}}
}

// OnDisconnect forgets the will once the broker no longer holds it: a
// DISCONNECT discarded it, it was sent, or the session ends now. A delayed
// will stays until it is sent.
func (b *willBook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if expire || atomic.LoadUint32(&cl.Properties.Will.Flag) == 0 {
		b.forget(cl)
	}
}

// OnWillSent forgets a will mochi sent.
func (b *willBook) OnWillSent(cl *mqtt.Client, _ packets.Packet) { b.forget(cl) }

// sentAfterDelay forgets the will of client id that the sandbox's
// housekeeping sent after its delay (sandboxes send delayed wills
// themselves, see delayWill), unless a new connection holds the id now.
func (b *willBook) sentAfterDelay(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.wills[id]; ok && h.conn.Closed() {
		delete(b.wills, id)
	}
}

// OnClientExpired forgets the will of a session that expired.
func (b *willBook) OnClientExpired(cl *mqtt.Client) { b.forget(cl) }

func (b *willBook) forget(cl *mqtt.Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.wills[cl.ID]; ok && h.conn == cl {
		delete(b.wills, cl.ID)
	}
}

// of returns the will the broker holds for the client, or nil.
func (b *willBook) of(cl *mqtt.Client) *Will {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h, ok := b.wills[cl.ID]; ok && h.conn == cl {
		w := h.will
		return &w
	}
	return nil
}
