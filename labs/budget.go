package labs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The session budget: a sandbox holds at most Limits.Sessions MQTT sessions
// (connected and offline together) and Limits.QueuedBytes of QoS 1/2
// messages waiting in them. Each offline persistent session keeps its own
// copy of every message it is subscribed to, so without a budget one learner
// can hold gigabytes by leaving sessions behind. Past either bound the
// oldest offline session expires, as if its expiry interval had passed, and
// the journal says so; if no session is offline, the connected client
// holding the most unacknowledged bytes is disconnected (it reads but never
// acknowledges).

// queuedOverhead approximates what a queued message costs beyond its topic
// and payload (the packet struct, its properties, the inflight map entry).
const queuedOverhead = 256

func queuedSize(pk packets.Packet) int64 {
	return int64(len(pk.TopicName) + len(pk.Payload) + queuedOverhead)
}

// queueBudget keeps an estimate of the bytes queued in a sandbox: it grows
// with each message queued and is recounted exactly when it passes the
// budget (and each second in housekeeping), because the many ways mochi
// lets go of a message (acks, expiry, takeover, clean start) have no single hook.
type queueBudget struct {
	estimate atomic.Int64
	mu       sync.Mutex // one enforcement at a time

	// offlineSince orders offline sessions to the nanosecond: mochi's
	// StopTime is in whole seconds, so the sessions a script leaves behind
	// within one second would be expired in random order.
	offlineSince sync.Map // *mqtt.Client → int64 unix nanoseconds
}

// budgetHook enforces the session budget inside the broker.
type budgetHook struct {
	mqtt.HookBase
	sb *Sandbox
}

func (h *budgetHook) ID() string { return "courselab-budget" }

func (h *budgetHook) Provides(b byte) bool {
	return b == mqtt.OnSessionEstablished || b == mqtt.OnQosPublish || b == mqtt.OnDisconnect
}

func (h *budgetHook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if !expire {
		h.sb.queue.offlineSince.Store(cl, time.Now().UnixNano())
	}
}

func (h *budgetHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if !cl.Net.Inline {
		h.sb.enforceSessionBudget(cl)
	}
}

// OnQosPublish runs when mochi adds a QoS 1/2 message to a client's
// inflight store: sent to a connected client, or queued for an offline one.
func (h *budgetHook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, resends int) {
	if cl.Net.Inline || resends > 0 || pk.FixedHeader.Type != packets.Publish {
		return
	}
	if h.sb.queue.estimate.Add(queuedSize(pk)) > int64(h.sb.limits.QueuedBytes) {
		h.sb.enforceQueueBudget()
	}
}

// QueuedBytes is the exact size of the QoS 1/2 messages held in the
// sandbox's sessions (see Limits.QueuedBytes).
func (s *Sandbox) QueuedBytes() int64 {
	var n int64
	for _, cl := range s.server.Clients.GetAll() {
		if !cl.Net.Inline {
			n += sessionBytes(cl)
		}
	}
	return n
}

func sessionBytes(cl *mqtt.Client) int64 {
	var n int64
	for _, pk := range cl.State.Inflight.GetAll(false) {
		if pk.FixedHeader.Type == packets.Publish {
			n += queuedSize(pk)
		}
	}
	return n
}

// recountQueue replaces the estimate by the exact figure.
func (s *Sandbox) recountQueue() int64 {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	s.forgetGoneSessions(s.learnerSessions())
	n := s.QueuedBytes()
	s.queue.estimate.Store(n)
	return n
}

func (s *Sandbox) enforceQueueBudget() {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	limit := int64(s.limits.QueuedBytes)
	sessions := s.learnerSessions()
	s.forgetGoneSessions(sessions)
	var total int64
	size := make(map[*mqtt.Client]int64, len(sessions))
	for _, cl := range sessions {
		size[cl] = sessionBytes(cl)
		total += size[cl]
	}
	for total > limit && len(sessions) > 0 {
		victim, offline := s.oldestOffline(sessions), true
		if victim == nil {
			victim, offline = largestConnected(sessions, size), false
			if size[victim] == 0 {
				break
			}
			s.limit("queued-bytes-client", victim.ID, "", fmt.Sprintf(
				"this sandbox holds at most %s of unacknowledged QoS 1/2 messages: this client was disconnected, and its session ended, because it holds %s without acknowledging them",
				byteSize(limit), byteSize(size[victim])))
			disconnectNow(victim, packets.ErrQuotaExceeded)
		}
		queued := victim.State.Inflight.Len()
		if s.expireSession(victim.ID, victim) && offline {
			s.limit("queued-bytes", victim.ID, "", fmt.Sprintf(
				"this sandbox holds at most %s of queued QoS 1/2 messages: the oldest offline session, %q, expired with its %d queued messages",
				byteSize(limit), clip(victim.ID, NameExcerpt), queued))
		}
		total -= size[victim]
		sessions = remove(sessions, victim)
	}
	s.queue.estimate.Store(total)
}

func (s *Sandbox) enforceSessionBudget(current *mqtt.Client) {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	sessions := s.learnerSessions()
	s.forgetGoneSessions(sessions)
	for len(sessions) > s.limits.Sessions {
		victim := s.oldestOffline(remove(sessions, current))
		if victim == nil {
			return // all connected: the front's client cap keeps this below the budget
		}
		if s.expireSession(victim.ID, victim) {
			s.limit("sessions", victim.ID, "", fmt.Sprintf(
				"this sandbox holds at most %d MQTT sessions, connected and offline together: the oldest offline session, %q, expired",
				s.limits.Sessions, clip(victim.ID, NameExcerpt)))
		}
		sessions = remove(sessions, victim)
	}
}

// disconnectNow ends a client's connection with an MQTT 5 DISCONNECT that
// reaches it. mochi's DisconnectClient may leave its DISCONNECT in the
// client's write buffer, behind queued messages, and close the connection
// before flushing it; the front's meteredConn (which mochi holds as the
// client's Net.Conn) writes it at once.
func disconnectNow(cl *mqtt.Client, code packets.Code) {
	if mc, ok := cl.Net.Conn.(*meteredConn); ok {
		mc.disconnect(code, "")
	}
	cl.Stop(code)
}

// expireSession ends an offline session as its expiry would, unless the
// same client id has connected again since cl was looked up.
func (s *Sandbox) expireSession(id string, cl *mqtt.Client) bool {
	if cur, ok := s.server.Clients.Get(id); !ok || cur != cl {
		return false
	}
	s.server.UnsubscribeClient(cl) // mochi leaves these in the topic index; an expired session should not hold them
	cl.ClearInflights()
	s.server.Clients.Delete(id)
	return true
}

func (s *Sandbox) learnerSessions() []*mqtt.Client {
	var out []*mqtt.Client
	for _, cl := range s.server.Clients.GetAll() {
		if !cl.Net.Inline {
			out = append(out, cl)
		}
	}
	return out
}

func (s *Sandbox) oldestOffline(sessions []*mqtt.Client) *mqtt.Client {
	var old *mqtt.Client
	var oldAt int64
	for _, cl := range sessions {
		if !cl.Closed() {
			continue
		}
		at := cl.StopTime() * int64(time.Second)
		if v, ok := s.queue.offlineSince.Load(cl); ok {
			at = v.(int64)
		}
		if old == nil || at < oldAt {
			old, oldAt = cl, at
		}
	}
	return old
}

// forgetGoneSessions drops the disconnect times of clients mochi let go of
// (expired, taken over, cleaned), so that the map stays as small as the
// sessions themselves.
func (s *Sandbox) forgetGoneSessions(sessions []*mqtt.Client) {
	live := make(map[*mqtt.Client]bool, len(sessions))
	for _, cl := range sessions {
		live[cl] = true
	}
	s.queue.offlineSince.Range(func(k, _ any) bool {
		if !live[k.(*mqtt.Client)] {
			s.queue.offlineSince.Delete(k)
		}
		return true
	})
}

func largestConnected(sessions []*mqtt.Client, size map[*mqtt.Client]int64) *mqtt.Client {
	var big *mqtt.Client
	for _, cl := range sessions {
		if big == nil || size[cl] > size[big] {
			big = cl
		}
	}
	return big
}

func remove(sessions []*mqtt.Client, cl *mqtt.Client) []*mqtt.Client {
	out := make([]*mqtt.Client, 0, len(sessions))
	for _, c := range sessions {
		if c != cl {
			out = append(out, c)
		}
	}
	return out
}

// byteSize writes n for people: 8 MiB, 300 KiB, 12 bytes.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
