package console

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/courselab/courselab/labs"
)

// States of a console client.
const (
	StateNew          = "new"
	StateConnecting   = "connecting"
	StateConnected    = "connected"
	StateDisconnected = "disconnected" // the learner disconnected gracefully: no will
	StateDropped      = "dropped"      // the learner dropped the connection: the broker sends the will
	StateLost         = "lost"         // the broker or the sandbox ended it
	StateRefused      = "refused"      // the broker refused the CONNECT
)

// Protocols a console client speaks.
const (
	Protocol5   = "5"
	Protocol311 = "3.1.1"
)

// Options are what a learner chooses when opening a console client.
type Options struct {
	ClientID      string `json:"client_id"`
	Protocol      string `json:"protocol"`                 // Protocol5 (default) or Protocol311
	CleanStart    bool   `json:"clean_start"`              // clean start (5) or clean session (3.1.1)
	KeepAlive     uint16 `json:"keep_alive"`               // seconds; 0 turns keep-alive off
	SessionExpiry uint32 `json:"session_expiry,omitempty"` // MQTT 5: seconds the session outlives the connection (default 3600 without clean start)
	Will          *Will  `json:"will,omitempty"`
}

// Will is a client's last will, which the broker publishes if the client's
// connection ends without a DISCONNECT.
type Will struct {
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
	QoS     byte   `json:"qos"`
	Retain  bool   `json:"retain"`
}

// maxClientID keeps client ids readable (MQTT 3.1.1 servers must accept 23).
const maxClientID = 64

func (o Options) normalize() (Options, error) {
	o.ClientID = strings.TrimSpace(o.ClientID)
	switch {
	case o.ClientID == "":
		return o, invalid("client_id", "enter a client id, such as web-1")
	case len(o.ClientID) > maxClientID:
		return o, invalid("client_id", fmt.Sprintf("too long: at most %d characters", maxClientID))
	case !utf8.ValidString(o.ClientID) || strings.ContainsFunc(o.ClientID, func(r rune) bool { return r < ' ' }):
		return o, invalid("client_id", "use letters, digits and punctuation only")
	}
	switch o.Protocol {
	case "", "5", "v5", "5.0":
		o.Protocol = Protocol5
	case "3.1.1", "4", "v3.1.1":
		o.Protocol = Protocol311
	default:
		return o, invalid("protocol", "choose MQTT 5 or 3.1.1")
	}
	if o.Protocol == Protocol5 && !o.CleanStart && o.SessionExpiry == 0 {
		o.SessionExpiry = 3600 // without it an MQTT 5 session ends with its connection
	}
	if o.Will != nil && o.Will.Topic == "" && o.Will.Payload == "" {
		o.Will = nil
	}
	if o.Will != nil {
		if err := checkTopicName("will.topic", o.Will.Topic); err != nil {
			return o, err
		}
		if err := checkQoS("will.qos", o.Will.QoS); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (o Options) checkPayloads(packetSize int) error {
	if o.Will != nil && len(o.Will.Payload)+len(o.Will.Topic)+len(o.ClientID)+64 > packetSize {
		return invalid("will.payload", fmt.Sprintf("too large: a CONNECT may be at most %d bytes in your sandbox", packetSize))
	}
	return nil
}

// Subscription is a filter a console client subscribed to, with the QoS the
// broker granted.
type Subscription struct {
	Filter string `json:"filter"`
	QoS    byte   `json:"qos"`
}

// Message is a message a console client received.
type Message struct {
	Seq     uint64    `json:"seq"` // per client, from 1
	Time    time.Time `json:"time"`
	Topic   string    `json:"topic"`
	Payload string    `json:"payload"`          // the first MaxPayloadShown bytes; hex when not UTF-8
	Binary  bool      `json:"binary,omitempty"` // Payload is hex
	Size    int       `json:"size"`             // the whole payload's size in bytes
	QoS     byte      `json:"qos"`
	Retain  bool      `json:"retain"`
	Dup     bool      `json:"dup,omitempty"`
}

// ClientInfo describes a console client for the browser.
type ClientInfo struct {
	ID             string         `json:"id"` // the console's handle, used in URLs
	Options                       // as opened
	State          string         `json:"state"`
	Reason         string         `json:"reason,omitempty"` // why it is not connected, in words
	SessionPresent bool           `json:"session_present"`  // the broker resumed a session at the last CONNECT
	Subscriptions  []Subscription `json:"subscriptions"`
	Received       int            `json:"received"`
	Messages       []Message      `json:"messages,omitempty"`
}

// Client is one console client. Its methods are safe to call at once from
// several requests; connecting and disconnecting are done one at a time.
type Client struct {
	desk    *Desk
	id      string
	opts    Options
	created time.Time

	op sync.Mutex // one connect, disconnect or drop at a time

	mu             sync.Mutex
	state          string
	reason         string
	sess           session
	sb             *labs.Sandbox // the sandbox sess is connected to
	resetLost      bool          // sess ended because sb was reset: the desk reconnects it
	sessionPresent bool
	subs           []Subscription
	msgs           []Message
	received       int
}

// ID is the client's handle in the console API.
func (c *Client) ID() string { return c.id }

// Info describes the client, with its kept messages when withMessages.
func (c *Client) Info(withMessages bool) ClientInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.infoLocked(withMessages)
}

func (c *Client) infoLocked(withMessages bool) ClientInfo {
	info := ClientInfo{ID: c.id, Options: c.opts, State: c.state, Reason: c.reason, SessionPresent: c.sessionPresent,
		Subscriptions: append([]Subscription{}, c.subs...), Received: c.received}
	if withMessages {
		info.Messages = append([]Message{}, c.msgs...)
	}
	return info
}

func (c *Client) changed() {
	info := c.Info(false)
	c.desk.publish(Update{Kind: "client", ID: c.id, Client: &info})
}

// Connect connects (or reconnects) the client with the options it was opened with.
func (c *Client) Connect(ctx context.Context) error {
	c.op.Lock()
	defer c.op.Unlock()
	c.desk.touch()
	c.mu.Lock()
	if c.state == StateConnected || c.state == StateConnecting {
		c.mu.Unlock()
		return &Error{Kind: KindConflict, Message: "client " + c.opts.ClientID + " is already connected"}
	}
	c.state, c.reason = StateConnecting, ""
	c.mu.Unlock()
	c.changed()

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn := c.dial()
	var user, pass string
	if l := c.desk.console.labs; l.Classroom() {
		cr := l.Credentials(c.desk.learner)
		user, pass = cr.Username, cr.Password
	}
	dial := connectV5
	if c.opts.Protocol == Protocol311 {
		dial = connectV311
	}
	var sess session
	sess, present, err := dial(ctx, conn, c.opts, user, pass, sessionHooks{
		message: c.receive,
		ended:   func(reason string) { c.ended(sess, reason) },
	})
	c.mu.Lock()
	if err != nil {
		_ = conn.Close()
		c.state, c.reason = StateRefused, err.Error()
		c.mu.Unlock()
		c.changed()
		return &Error{Kind: KindRefused, Field: "client_id", Message: "the broker refused the connection: " + err.Error()}
	}
	c.sess, c.state, c.sessionPresent = sess, StateConnected, present
	c.sb, c.resetLost = c.desk.console.labs.Lookup(c.desk.learner), false
	if !present {
		c.subs = nil // a new session holds no subscriptions
	}
	c.mu.Unlock()
	c.changed()
	go func() {
		<-sess.done()
		c.ended(sess, "the connection closed")
	}()
	return nil
}

func (c *Client) dial() net.Conn {
	ours, theirs := net.Pipe()
	go c.desk.console.labs.Front().ServeConn(theirs, labs.TransportConsole)
	return newBufferedConn(ours)
}

// ended records that sess ended by itself; a later, more specific reason
// (the broker's DISCONNECT) replaces a generic one.
func (c *Client) ended(sess session, reason string) {
	c.mu.Lock()
	if sess == nil || c.sess != sess {
		c.mu.Unlock()
		return
	}
	switch {
	case c.state == StateConnected && c.lostToResetLocked():
		c.state, c.reason, c.resetLost = StateLost, "your instructor reset your lab: reconnecting…", true
		old := c.sb
		c.mu.Unlock()
		c.changed()
		go c.desk.recoverFromReset(old)
		return
	case c.state == StateConnected:
		c.state, c.reason = StateLost, reason
	case c.state == StateLost && c.reason == "the connection closed" && reason != c.reason:
		c.reason = reason
	default:
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.changed()
}

// connected returns the live session or the "not connected" error.
func (c *Client) connected() (session, error) {
	c.desk.touch()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StateConnected || c.sess == nil {
		return nil, notConnected(c.opts.ClientID)
	}
	return c.sess, nil
}

// Subscribe subscribes to filter (wildcards welcome) at most at qos.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte) (Subscription, error) {
	if err := checkTopicFilter("filter", filter); err != nil {
		return Subscription{}, err
	}
	if err := checkQoS("qos", qos); err != nil {
		return Subscription{}, err
	}
	sess, err := c.connected()
	if err != nil {
		return Subscription{}, err
	}
	granted, err := sess.subscribe(ctx, filter, qos)
	if err != nil {
		return Subscription{}, withField(err, "filter")
	}
	sub := Subscription{Filter: filter, QoS: granted}
	c.mu.Lock()
	c.subs = append(slicesDelete(c.subs, filter), sub)
	sort.Slice(c.subs, func(i, j int) bool { return c.subs[i].Filter < c.subs[j].Filter })
	c.mu.Unlock()
	c.changed()
	return sub, nil
}

// Unsubscribe removes a subscription.
func (c *Client) Unsubscribe(ctx context.Context, filter string) error {
	if err := checkTopicFilter("filter", filter); err != nil {
		return err
	}
	sess, err := c.connected()
	if err != nil {
		return err
	}
	if err := sess.unsubscribe(ctx, filter); err != nil {
		return withField(err, "filter")
	}
	c.mu.Lock()
	c.subs = slicesDelete(c.subs, filter)
	c.mu.Unlock()
	c.changed()
	return nil
}

func slicesDelete(subs []Subscription, filter string) []Subscription {
	out := subs[:0:0]
	for _, s := range subs {
		if s.Filter != filter {
			out = append(out, s)
		}
	}
	return out
}

// Publish publishes a message. With QoS 1 or 2 on MQTT 5 it returns the
// broker's refusal (rate or quota) in words.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := checkTopicName("topic", topic); err != nil {
		return err
	}
	if err := checkQoS("qos", qos); err != nil {
		return err
	}
	if max := c.desk.packetSize() - len(topic) - 16; len(payload) > max {
		return &Error{Kind: KindLimit, Field: "payload", Message: fmt.Sprintf(
			"too large: %d bytes, and your sandbox takes at most %d in one message", len(payload), max)}
	}
	sess, err := c.connected()
	if err != nil {
		return err
	}
	if err := sess.publish(ctx, topic, payload, qos, retain); err != nil {
		return withField(err, "")
	}
	return nil
}

// Disconnect sends DISCONNECT and closes the connection: the broker drops
// the will.
func (c *Client) Disconnect() error {
	return c.leave(StateDisconnected, "disconnected with DISCONNECT: the broker discards the will", session.disconnect)
}

// Drop closes the connection without DISCONNECT, as a crash or a lost
// network would: the broker publishes the will.
func (c *Client) Drop() error {
	return c.leave(StateDropped, "connection dropped without DISCONNECT: the broker publishes the will", session.drop)
}

// leave ends the live session with how (graceful or not), recording the
// state first so the session's own end does not overwrite it.
func (c *Client) leave(state, reason string, how func(session)) error {
	c.op.Lock()
	defer c.op.Unlock()
	sess, err := c.connected()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.state, c.reason = state, reason
	c.mu.Unlock()
	how(sess)
	c.changed()
	return nil
}

// end disconnects gracefully if connected, for removal or shutdown.
func (c *Client) end(reason string) {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	sess := c.sess
	live := c.state == StateConnected || c.state == StateConnecting
	if live {
		c.state, c.reason = StateDisconnected, reason
	}
	c.mu.Unlock()
	if live && sess != nil {
		sess.disconnect()
		c.changed()
	}
}

// receive keeps a message the client received and tells the watchers.
func (c *Client) receive(topic string, payload []byte, qos byte, retain, dup bool) {
	m := Message{Time: time.Now().UTC(), Topic: topic, Size: len(payload), QoS: qos, Retain: retain, Dup: dup}
	shown := payload
	if len(shown) > MaxPayloadShown {
		shown = shown[:MaxPayloadShown]
		for len(shown) > MaxPayloadShown-4 && !utf8.Valid(shown) {
			shown = shown[:len(shown)-1]
		}
	}
	if utf8.Valid(shown) {
		m.Payload = string(shown)
	} else {
		m.Payload, m.Binary = hex.EncodeToString(shown), true
	}
	c.mu.Lock()
	c.received++
	m.Seq = uint64(c.received)
	if max := c.desk.console.cfg.MaxMessages; len(c.msgs) >= max {
		copy(c.msgs, c.msgs[len(c.msgs)-max+1:])
		c.msgs = c.msgs[:max-1]
	}
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	c.desk.publish(Update{Kind: "message", ID: c.id, Message: &m})
}
