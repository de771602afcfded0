// Package labtest holds helpers for tests that drive lab sandboxes with real
// MQTT clients over loopback: a front on a free port, paho.golang (MQTT 5)
// clients, and raw packets for MQTT 3.1 / 3.1.1, which paho.golang lacks.
package labtest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
)

// Wait bounds every wait of these helpers.
const Wait = 5 * time.Second

// QuietLogger discards logs below Error.
func QuietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// NewLabs returns Labs closed at the end of the test.
func NewLabs(t testing.TB, cfg labs.Config) *labs.Labs {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = QuietLogger()
	}
	if cfg.Secret == nil {
		cfg.Secret = []byte("test secret")
	}
	l := labs.New(cfg)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// StartFront serves l's front on a free loopback port and returns its address.
func StartFront(t testing.TB, l *labs.Labs) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Front().ServeTCP(ln) }()
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// Client is a paho.golang client with its raw connection (close it to drop
// the connection ungracefully) and the messages it received.
type Client struct {
	*paho.Client
	Conn net.Conn
	Msgs chan *paho.Publish
}

// Dial connects an MQTT 5 client over TCP. The Connack is returned even when
// the broker refused (err then says so).
func Dial(t testing.TB, addr string, cp *paho.Connect) (*Client, *paho.Connack, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return Over(t, conn, cp)
}

// Over connects an MQTT 5 client over an existing connection (e.g. a WebSocket NetConn).
func Over(t testing.TB, conn net.Conn, cp *paho.Connect) (*Client, *paho.Connack, error) {
	t.Helper()
	c := &Client{Conn: conn, Msgs: make(chan *paho.Publish, 1024)}
	c.Client = paho.NewClient(paho.ClientConfig{
		Conn:     conn,
		ClientID: cp.ClientID,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			select {
			case c.Msgs <- pr.Packet:
			default:
			}
			return true, nil
		}},
		OnClientError: func(error) {},
	})
	if cp.KeepAlive == 0 {
		cp.KeepAlive = 30
	}
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	ca, err := c.Connect(ctx, cp)
	t.Cleanup(func() { _ = conn.Close() })
	return c, ca, err
}

// MustDial connects or fails the test.
func MustDial(t testing.TB, addr string, cp *paho.Connect) *Client {
	t.Helper()
	c, _, err := Dial(t, addr, cp)
	if err != nil {
		t.Fatalf("connect %s: %v", cp.ClientID, err)
	}
	return c
}

// Sub subscribes or fails the test; it returns the SUBACK reason codes.
func (c *Client) Sub(t testing.TB, filter string, qos byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}}})
	if err != nil && sa == nil {
		t.Fatalf("subscribe %s: %v", filter, err)
	}
	return sa.Reasons
}

// Pub publishes or fails the test; it returns the ack's reason code (0 for QoS 0).
func (c *Client) Pub(t testing.TB, topic, payload string, qos byte, retain bool) byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	r, err := c.Publish(ctx, &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, Retain: retain})
	if r != nil {
		return r.ReasonCode
	}
	if err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
	return 0
}

// Next waits for the next message.
func (c *Client) Next(t testing.TB) *paho.Publish {
	t.Helper()
	select {
	case m := <-c.Msgs:
		return m
	case <-time.After(Wait):
		t.Fatalf("no message within %v", Wait)
		return nil
	}
}

// NextOn waits for the next message on topic, skipping others.
func (c *Client) NextOn(t testing.TB, topic string) *paho.Publish {
	t.Helper()
	deadline := time.After(Wait)
	for {
		select {
		case m := <-c.Msgs:
			if m.Topic == topic {
				return m
			}
		case <-deadline:
			t.Fatalf("no message on %s within %v", topic, Wait)
			return nil
		}
	}
}

// None asserts that no message arrives within d.
func (c *Client) None(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case m := <-c.Msgs:
		t.Fatalf("unexpected message on %s: %s", m.Topic, m.Payload)
	case <-time.After(d):
	}
}

// RawConnect is a raw CONNECT for MQTT 3.1 (version 3), 3.1.1 (4) or 5.
func RawConnect(version byte, clientID, user, pass string, clean bool) packets.Packet {
	name := "MQTT"
	if version == 3 {
		name = "MQIsdp"
	}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: version,
		Connect: packets.ConnectParams{
			ProtocolName: []byte(name), Clean: clean, Keepalive: 30, ClientIdentifier: clientID,
		},
	}
	if user != "" {
		pk.Connect.UsernameFlag, pk.Connect.Username = true, []byte(user)
	}
	if pass != "" {
		pk.Connect.PasswordFlag, pk.Connect.Password = true, []byte(pass)
	}
	return pk
}

// Encode encodes a packet of any type.
func Encode(t testing.TB, pk packets.Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&buf)
	case packets.Puback:
		err = pk.PubackEncode(&buf)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&buf)
	default:
		t.Fatalf("labtest: cannot encode packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Raw is a raw MQTT 3 connection.
type Raw struct {
	net.Conn
	r       *bufio.Reader
	version byte
}

// RawDial connects and sends pk, returning the connection and the CONNACK.
func RawDial(t testing.TB, addr string, pk packets.Packet) (*Raw, packets.Packet) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	r := &Raw{Conn: conn, r: bufio.NewReader(conn), version: pk.ProtocolVersion}
	r.Send(t, pk)
	ack, err := r.Read()
	if err != nil {
		t.Fatalf("read CONNACK: %v", err)
	}
	return r, ack
}

// Send writes a packet.
func (r *Raw) Send(t testing.TB, pk packets.Packet) {
	t.Helper()
	pk.ProtocolVersion = r.version
	if _, err := r.Write(Encode(t, pk)); err != nil {
		t.Fatal(err)
	}
}

// Read reads and decodes one packet (within Wait).
func (r *Raw) Read() (packets.Packet, error) {
	_ = r.SetReadDeadline(time.Now().Add(Wait))
	var pk packets.Packet
	b, err := r.r.ReadByte()
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(b); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(r.r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(r.r, body); err != nil {
		return pk, err
	}
	pk.ProtocolVersion = r.version
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Pubrec:
		err = pk.PubrecDecode(body)
	case packets.Disconnect:
		err = pk.DisconnectDecode(body)
	}
	return pk, err
}

// WaitEvent waits until sb's journal holds an event matching ok and returns
// it; on timeout it fails the test with the journal's last events.
func WaitEvent(t testing.TB, sb *labs.Sandbox, ok func(labs.Event) bool) labs.Event {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for time.Now().Before(deadline) {
		for _, e := range sb.Journal().Since(0) {
			if ok(e) {
				return e
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	events := sb.Journal().Since(0)
	for _, e := range events[max(0, len(events)-12):] {
		t.Logf("journal %d %s %s %s %+v", e.Seq, e.Kind, e.ClientID, e.Topic, e.Detail)
	}
	t.Fatalf("no matching journal event within %v", Wait)
	return labs.Event{}
}
