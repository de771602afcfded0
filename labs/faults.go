package labs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Fault injection: a learner breaks their own sandbox on purpose to see
// what MQTT does about it (a QoS 1 message delivered again with DUP=1, a
// session that outlives a broker restart). Every fault touches one sandbox
// only, is bounded in time, and is journalled with the coach's words.

// Bounds of the faults a learner may inject.
const (
	MaxDeliveryDelay     = 10 * time.Second // one delivery's delay
	MaxDelayFor          = 5 * time.Minute  // how long deliveries stay delayed
	DefaultDelayFor      = time.Minute
	MaxUnreachable       = 60 * time.Second
	faultCodeRestart     = 0x8B // server shutting down: the cause mochi keeps
	faultCodeUnreachable = 0x88 // server unavailable
)

// AckSide says whose acknowledgement a withhold-ack fault holds back.
type AckSide string

// Sides of an acknowledgement.
const (
	// AckFromClient: the broker ignores the client's next PUBACK, PUBREC
	// or PUBCOMP, so it keeps the message for that client and sends it
	// again, with DUP=1, when the client reconnects with its session.
	AckFromClient AckSide = "client"
	// AckFromBroker: the broker's next PUBACK, PUBREC or PUBCOMP to the
	// client is never written, so the publishing client keeps the message
	// and sends it again, with DUP=1, when it reconnects.
	AckFromBroker AckSide = "broker"
)

// FaultError is a fault the sandbox cannot inject as asked: Field names the
// input at fault, Message says why in plain words; Unknown marks a client
// id the broker does not know.
type FaultError struct {
	Field   string
	Message string
	Unknown bool
}

func (e *FaultError) Error() string { return e.Message }

// faults is a sandbox's injected faults: read by faultHook on every
// acknowledgement and delivery, and by the front on every CONNECT.
type faults struct {
	used      atomic.Bool // any withhold or delay was ever armed: until then the hooks skip the lock
	mu        sync.Mutex
	withhold  map[withholdKey]bool // → cut the connection once the ack is withheld
	delays    map[string]delayFault
	downUntil time.Time
	upTimer   *time.Timer
}

type withholdKey struct {
	clientID string
	side     AckSide
}

type delayFault struct {
	by    time.Duration
	until time.Time
}

// FaultStatus is what is armed in a sandbox now, for the console.
type FaultStatus struct {
	Withheld    []WithheldAck `json:"withheld"`
	Delays      []Delay       `json:"delays"`
	Unreachable *time.Time    `json:"unreachable_until,omitempty"`
}

// WithheldAck is a withhold-ack fault waiting for its acknowledgement.
type WithheldAck struct {
	ClientID string  `json:"client_id"`
	From     AckSide `json:"from"`
	Cut      bool    `json:"cut"`
}

// Delay is a delay fault in force.
type Delay struct {
	ClientID string    `json:"client_id"`
	Ms       int64     `json:"ms"`
	Until    time.Time `json:"until"`
}

// Faults lists the faults armed in the sandbox now.
func (s *Sandbox) Faults() FaultStatus {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	st := FaultStatus{Withheld: []WithheldAck{}, Delays: []Delay{}}
	for k, cut := range f.withhold {
		st.Withheld = append(st.Withheld, WithheldAck{ClientID: k.clientID, From: k.side, Cut: cut})
	}
	now := time.Now()
	for id, d := range f.delays {
		if d.until.After(now) {
			st.Delays = append(st.Delays, Delay{ClientID: id, Ms: d.by.Milliseconds(), Until: d.until.UTC()})
		}
	}
	if f.downUntil.After(now) {
		t := f.downUntil.UTC()
		st.Unreachable = &t
	}
	return st
}

// knownClient reports whether the broker holds a session for clientID.
func (s *Sandbox) knownClient(clientID string) (*mqtt.Client, error) {
	if clientID == "" {
		return nil, &FaultError{Field: "client_id", Message: "give the client id of one of your MQTT clients"}
	}
	cl, ok := s.server.Clients.Get(clientID)
	if !ok || cl.Net.Inline {
		return nil, &FaultError{Field: "client_id", Unknown: true, Message: fmt.Sprintf(
			"your broker knows no client %q: connect it first (or check the client id)", clientID)}
	}
	if s.Closed() {
		return nil, ErrSandboxClosed
	}
	return cl, nil
}

// WithholdAck arms a withhold-ack fault: the next PUBACK, PUBREC or PUBCOMP
// from (AckFromClient) or to (AckFromBroker) clientID is dropped and
// journalled; with cut, the connection is then closed as a network failure
// would close it, so that a client that reconnects by itself gets the
// message again at once.
func (s *Sandbox) WithholdAck(clientID string, from AckSide, cut bool) error {
	if from != AckFromClient && from != AckFromBroker {
		return &FaultError{Field: "from", Message: `say whose acknowledgement to withhold: "client" (the broker then sends the message again) or "broker" (the client then sends it again)`}
	}
	if _, err := s.knownClient(clientID); err != nil {
		return err
	}
	f := &s.faults
	f.mu.Lock()
	if f.withhold == nil {
		f.withhold = map[withholdKey]bool{}
	}
	f.withhold[withholdKey{clientID, from}] = cut
	f.used.Store(true)
	f.mu.Unlock()
	msg := fmt.Sprintf("Fault armed: the broker will ignore the next PUBACK, PUBREC or PUBCOMP that %s sends, as if it were lost on the way. Publish a QoS 1 or 2 message %s receives to see what happens.", clientID, clientID)
	if from == AckFromBroker {
		msg = fmt.Sprintf("Fault armed: the broker's next PUBACK, PUBREC or PUBCOMP to %s will be lost on the way. Publish a QoS 1 or 2 message from %s to see what happens.", clientID, clientID)
	}
	if cut {
		msg += " The connection will then be cut, as a network failure would cut it."
	}
	s.journal.Add(Event{Kind: KindFault, ClientID: clientID, Detail: &FaultInfo{Fault: FaultWithholdAck, From: string(from), Armed: true, Coach: msg}})
	return nil
}

// DelayDeliveries makes the broker hold every message it delivers to
// clientID by `by` before writing it, for the next `lasting`.
func (s *Sandbox) DelayDeliveries(clientID string, by, lasting time.Duration) error {
	if by < time.Millisecond || by > MaxDeliveryDelay {
		return &FaultError{Field: "ms", Message: fmt.Sprintf("the delay is 1 to %d ms", MaxDeliveryDelay.Milliseconds())}
	}
	if lasting == 0 {
		lasting = DefaultDelayFor
	}
	if lasting < time.Second || lasting > MaxDelayFor {
		return &FaultError{Field: "seconds", Message: fmt.Sprintf("a delay lasts 1 to %d seconds", int(MaxDelayFor.Seconds()))}
	}
	if _, err := s.knownClient(clientID); err != nil {
		return err
	}
	f := &s.faults
	f.mu.Lock()
	if f.delays == nil {
		f.delays = map[string]delayFault{}
	}
	f.delays[clientID] = delayFault{by: by, until: time.Now().Add(lasting)}
	f.used.Store(true)
	f.mu.Unlock()
	s.journal.Add(Event{Kind: KindFault, ClientID: clientID, Detail: &FaultInfo{Fault: FaultDelay, Armed: true, DelayMs: by.Milliseconds(), Seconds: int(lasting.Seconds()),
		Coach: fmt.Sprintf("Fault armed: for %d s the broker holds every message for %s %d ms before sending it, as a slow network would. Messages still arrive, in order, only late; a QoS 1 or 2 sender waits that much longer for its acknowledgement.", int(lasting.Seconds()), clientID, by.Milliseconds())}})
	return nil
}

// RestartInfo is what a broker restart kept.
type RestartInfo struct {
	Disconnected int `json:"disconnected"` // clients whose connection ended
	Sessions     int `json:"sessions"`     // persistent sessions kept
	Queued       int `json:"queued"`       // QoS 1 and 2 messages those sessions hold
	Retained     int `json:"retained"`     // retained messages kept
}

// RestartBroker restarts the learner's broker as one with persistent
// storage restarts: every connection closes, clean sessions end with them, and persistent
// sessions (their subscriptions and queued QoS 1 and 2 messages) and
// retained messages are kept for the clients that come back. The broker
// takes new connections again at once.
func (s *Sandbox) RestartBroker() (RestartInfo, error) {
	if s.Closed() {
		return RestartInfo{}, ErrSandboxClosed
	}
	var info RestartInfo
	for _, cl := range s.server.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		if persistentSession(cl) {
			info.Sessions++
			info.Queued += cl.State.Inflight.Len()
		}
		if !cl.Closed() {
			info.Disconnected++
		}
	}
	info.Retained = len(s.RetainedTopics())
	s.journal.Add(Event{Kind: KindFault, Detail: &FaultInfo{Fault: FaultRestart, Coach: fmt.Sprintf(
		"The broker restarted (fault injected): %s disconnected. It kept %s with their subscriptions and %s, and %s. A client that reconnects with the same client id and clean session off finds its session and gets what was queued; one with clean session starts from nothing and must subscribe again.",
		plural(info.Disconnected, "client was", "clients were"), plural(info.Sessions, "persistent session", "persistent sessions"),
		plural(info.Queued, "queued message", "queued messages"), plural(info.Retained, "retained message", "retained messages"))}})
	s.disconnectAll(packets.Code{Code: faultCodeRestart, Reason: "the broker restarted (fault injected)"})
	return info, nil
}

// MakeUnreachable closes every connection and refuses new ones for d, as a
// broker behind a failed network would be; then it answers again.
func (s *Sandbox) MakeUnreachable(d time.Duration) error {
	if d < time.Second || d > MaxUnreachable {
		return &FaultError{Field: "seconds", Message: fmt.Sprintf("the broker can be unreachable for 1 to %d seconds", int(MaxUnreachable.Seconds()))}
	}
	if s.Closed() {
		return ErrSandboxClosed
	}
	f := &s.faults
	f.mu.Lock()
	f.downUntil = time.Now().Add(d)
	if f.upTimer != nil {
		f.upTimer.Stop()
	}
	f.upTimer = time.AfterFunc(d, func() {
		if s.Closed() {
			return
		}
		s.journal.Add(Event{Kind: KindFault, Detail: &FaultInfo{Fault: FaultUnreachable, Ended: true,
			Coach: "The broker is reachable again: clients that retry now connect. A client with a persistent session finds its subscriptions and the QoS 1 and 2 messages queued meanwhile."}})
	})
	f.mu.Unlock()
	s.journal.Add(Event{Kind: KindFault, Detail: &FaultInfo{Fault: FaultUnreachable, Seconds: int(d.Seconds()), Coach: fmt.Sprintf(
		"The broker is unreachable for %d s (fault injected): every connection was closed and new ones are refused until then. Sessions and retained messages are kept; a client that retries after the outage gets back in (mosquitto_sub gives up at the first refusal: run it again then).", int(d.Seconds()))}})
	s.disconnectAll(packets.Code{Code: faultCodeUnreachable, Reason: "the broker is unreachable (fault injected)"})
	return nil
}

// unreachableFor is how long the broker stays unreachable (0: it is not).
func (s *Sandbox) unreachableFor() time.Duration {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Until(f.downUntil)
}

// stopFaults stops the timers of a sandbox being torn down.
func (s *Sandbox) stopFaults() {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.upTimer != nil {
		f.upTimer.Stop()
	}
}

// disconnectAll closes every learner connection, with no DISCONNECT, as a
// broker process that stops or a network that fails closes them: MQTT 3
// has no DISCONNECT from the server (mosquitto_sub takes one for a protocol
// error), and mosquitto_sub -V 5 quits on a DISCONNECT where it reconnects
// after a lost connection. code is the cause mochi keeps.
func (s *Sandbox) disconnectAll(code packets.Code) {
	for _, cl := range s.server.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			cl.Stop(code)
		}
	}
}

// persistentSession reports whether cl's session outlives its connection.
func persistentSession(cl *mqtt.Client) bool {
	if cl.Properties.ProtocolVersion == 5 {
		return cl.Properties.Props.SessionExpiryInterval > 0
	}
	return !cl.Properties.Clean
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// DropConnection closes clientID's connection without a DISCONNECT, as a
// network failure would: its will is sent, and a persistent session waits
// for it to come back.
func (s *Sandbox) DropConnection(clientID string) error {
	cl, err := s.knownClient(clientID)
	if err != nil {
		return err
	}
	if cl.Closed() {
		return &FaultError{Field: "client_id", Message: fmt.Sprintf("%s is not connected now: there is no connection to drop", clientID)}
	}
	s.journal.Add(Event{Kind: KindFault, ClientID: clientID, Detail: &FaultInfo{Fault: FaultDrop, Coach: fmt.Sprintf(
		"The connection of %s was cut (fault injected), with no DISCONNECT: for the broker the client vanished, so its will (if any) is sent, and a persistent session keeps its subscriptions and queues QoS 1 and 2 messages until it reconnects.", clientID)}})
	return cl.Net.Conn.Close()
}

// CancelWithhold disarms a withhold-ack fault that found no ack to withhold
// (an exercise check that gave up waiting), so that it does not surprise
// the learner later; it reports whether one was armed.
func (s *Sandbox) CancelWithhold(clientID string, from AckSide) bool {
	armed, _ := s.faults.takeWithhold(clientID, from)
	return armed
}
