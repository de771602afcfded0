package labs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Sandbox is one learner's lab: a private MQTT broker, a simulated IoT cloud,
// a device simulator and the journal of what happened in them.
//
// The broker is a mochi server that is never started with Serve: Serve would
// start five tickers and a goroutine per sandbox, which is what makes idle
// brokers expensive. Connections arrive through EstablishConnection from the
// Front, and the periodic work Serve would do is driven for all sandboxes by
// one ticker in Labs (housekeeping.go).
type Sandbox struct {
	labs    *Labs
	learner string
	// restToken is the learner's REST bearer token, derived once: every
	// cloud API call is checked against it (Labs.LearnerByToken).
	restToken string
	limits    Limits
	server    *mqtt.Server
	journal   *Journal
	cloud     *Cloud
	sim       *Simulator
	bucket    bucket
	queue     queueBudget

	handovers takeoverGuard // orders connections that share a client id (takeover.go)
	heldWills willBook      // the will held for each client, for Sessions (wills.go)

	lastActive atomic.Int64 // unix nanoseconds of the last client, page or API activity
	connected  atomic.Int32 // clients handed to the broker and not yet gone

	mu       sync.Mutex
	closed   bool // no new clients; the front asks Labs for a fresh sandbox
	tornDown bool
	notes    map[string]*heldNotes // throttles "limit" and "refused" journal lines per kind
	wills    map[string]delayedWill
	lastSys  time.Time

	coach coachMemory // sessions dropped while their client was away (coach.go)

	faults faults // injected by the learner (faults.go)
}

// ErrSandboxClosed is returned by operations on a reclaimed sandbox.
var ErrSandboxClosed = errors.New("this lab sandbox was reclaimed after being idle; reload the page to get a fresh one")

func newSandbox(l *Labs, learner string, setup Setup) (*Sandbox, error) {
	sb := &Sandbox{labs: l, learner: learner, restToken: l.token(learner), limits: l.cfg.Limits, journal: newJournal()}
	sb.bucket = newBucket(sb.limits.PublishRate, sb.limits.PublishBurst)
	sb.lastActive.Store(time.Now().UnixNano())

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClients = int64(sb.limits.Clients) + 1 // the front refuses first, with the right code; this is a backstop
	caps.MaximumPacketSize = uint32(sb.limits.PacketSize)
	caps.MaximumInflight = uint16(min(sb.limits.Queued, math.MaxUint16))
	caps.MaximumSessionExpiryInterval = uint32(max(l.cfg.IdleTimeout, time.Hour) / time.Second)
	caps.TopicAliasMaximum = 64
	// A client may fill its Receive Maximum window at once without being
	// slowed by the publish rate; one more gets mochi's DISCONNECT 0x93.
	caps.ReceiveMaximum = uint16(min(256, sb.limits.PublishBurst))
	caps.Compatibilities.NoInheritedPropertiesOnAck = true // [MQTT-3.4.2.2.3]: acks carry the broker's properties, not the publisher's
	// Each client allocates a channel of MaximumClientWritesPending when it
	// is made. The inline client, made by mqtt.New, never receives through
	// it, so it gets a tiny one; the learner's clients, made later from the
	// same Capabilities, get room for every retained message at once, which
	// mochi writes to a new subscriber without waiting (and drops past this).
	caps.MaximumClientWritesPending = 1
	sb.server = mqtt.New(&mqtt.Options{
		InlineClient: true, // the platform's own publishes (REST, simulator, checks)
		Capabilities: caps,
		Logger:       slog.New(&brokerLog{sb: sb, next: l.log.Handler()}),
	})
	caps.MaximumClientWritesPending = int32(sb.limits.Retained + 256)
	for _, h := range []mqtt.Hook{&allowHook{}, &faultHook{sb: sb}, &takeoverHook{guard: &sb.handovers, server: sb.server}, &limitsHook{sb: sb}, &budgetHook{sb: sb}, &connackHook{sb: sb}, &journalHook{sb: sb}, &cloudHook{sb: sb}, &sessionResumeHook{sb: sb}, &sb.heldWills} {
		if _, ok := h.(*journalHook); ok && l.withoutJournal {
			continue
		}
		if err := sb.server.AddHook(h, nil); err != nil {
			return nil, fmt.Errorf("sandbox %s: add hook %s: %w", learner, h.ID(), err)
		}
	}
	sb.cloud = newCloud(sb)
	if err := sb.cloud.apply(setup); err != nil {
		return nil, err
	}
	sb.sim = newSimulator(sb)
	return sb, nil
}

// Learner is the id of the learner this sandbox belongs to.
func (s *Sandbox) Learner() string { return s.learner }

// Credentials are this sandbox's MQTT username/password and REST token.
func (s *Sandbox) Credentials() Credentials { return s.labs.Credentials(s.learner) }

// Touch records page activity so that a learner reading the course keeps the
// sandbox (and its offline sessions and retained messages) alive.
func (s *Sandbox) Touch() { s.lastActive.Store(time.Now().UnixNano()) }

// Journal is the sandbox's event log.
func (s *Sandbox) Journal() *Journal { return s.journal }

// Cloud is the sandbox's simulated IoT cloud.
func (s *Sandbox) Cloud() *Cloud { return s.cloud }

// Simulator streams values from the sandbox's devices.
func (s *Sandbox) Simulator() *Simulator { return s.sim }

// Limits are the limits this sandbox enforces.
func (s *Sandbox) Limits() Limits { return s.limits }

// Connected is the number of MQTT clients connected right now.
func (s *Sandbox) Connected() int { return int(s.connected.Load()) }

// PublishesReceived counts the PUBLISH packets the sandbox's broker has
// read from clients (its $SYS/broker/messages/received).
func (s *Sandbox) PublishesReceived() int64 { return atomic.LoadInt64(&s.server.Info.MessagesReceived) }

// Closed reports whether the sandbox was reclaimed or Labs closed.
func (s *Sandbox) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Publish publishes as the platform (REST calls, the simulator, exercise
// checks): the journal marks it Platform, not as the learner's. QoS bounds the
// QoS subscribers receive it with; QoS 1 reaches offline persistent sessions.
func (s *Sandbox) Publish(topic string, payload []byte, qos byte, retain bool) error {
	switch {
	case topic == "" || strings.ContainsAny(topic, "+#") || len(topic) > math.MaxUint16:
		return fmt.Errorf("publish: %q is not a topic name (no wildcards, not empty)", topic)
	case qos > 2:
		return fmt.Errorf("publish: qos %d: must be 0, 1 or 2", qos)
	case len(payload) > s.limits.PacketSize:
		return fmt.Errorf("publish: payload of %d bytes: %w", len(payload), ErrTooLarge)
	}
	if s.Closed() {
		return ErrSandboxClosed
	}
	return s.server.Publish(topic, payload, retain, qos)
}

// acquire reserves a client slot for a connection the front is handing over.
func (s *Sandbox) acquire() (ok bool, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, true
	}
	if int(s.connected.Load()) >= s.limits.Clients {
		return false, false
	}
	s.connected.Add(1)
	s.lastActive.Store(time.Now().UnixNano())
	return true, false
}

func (s *Sandbox) release() {
	s.connected.Add(-1)
	s.lastActive.Store(time.Now().UnixNano())
}

// limit writes a "limit" journal line, at most one per kind per second
// (see note) so that a flood does not wash the rest of the journal away.
func (s *Sandbox) limit(kind, clientID, topic, msg string) {
	s.note("limit:"+kind, Event{Kind: KindLimit, ClientID: clientID, Topic: topic,
		Detail: &LimitInfo{Limit: kind, Message: msg}})
}

// closeIfIdle marks the sandbox closed if no client holds it and it saw no
// activity since cutoff. It checks under the same lock as acquire, so a
// connection being handed over either wins or goes to a fresh sandbox.
func (s *Sandbox) closeIfIdle(cutoff int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.connected.Load() > 0 || s.lastActive.Load() >= cutoff {
		return false
	}
	s.closed = true
	return true
}

// close stops everything; the caller has already removed s from Labs.
func (s *Sandbox) close() {
	s.mu.Lock()
	if s.tornDown {
		s.mu.Unlock()
		return
	}
	s.closed, s.tornDown = true, true
	s.mu.Unlock()
	s.sim.stopAll()
	s.stopFaults()
	for _, cl := range s.server.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			_ = s.server.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
	_ = s.server.Close()
	s.journal.close()
}

// brokerLog adapts mochi's logging: most of it is per-client noise (a
// keep-alive below 5 s, a malformed packet) that belongs in the learner's
// journal or nowhere, not in the operator's log.
type brokerLog struct {
	sb    *Sandbox
	next  slog.Handler
	attrs []slog.Attr
}

func (h *brokerLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *brokerLog) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case "client store quota reached":
		client := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "client" {
				client = a.Value.String()
			}
			return true
		})
		h.sb.limit("queued", client, "", fmt.Sprintf("client holds %d unacknowledged QoS 1/2 messages: new ones are dropped until it catches up", h.sb.limits.Queued))
		return nil
	}
	if r.Level < slog.LevelError {
		return nil
	}
	r.AddAttrs(slog.String("sandbox", h.sb.learner))
	r.AddAttrs(h.attrs...)
	return h.next.Handle(ctx, r)
}

func (h *brokerLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &brokerLog{sb: h.sb, next: h.next, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *brokerLog) WithGroup(string) slog.Handler { return h }
