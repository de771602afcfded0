package console

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// v311Session is a minimal MQTT 3.1.1 client of our own, over mochi's
// packet codec (paho.golang speaks only MQTT 5): CONNECT with will, clean
// session and keep-alive; SUBSCRIBE, UNSUBSCRIBE; PUBLISH both ways at QoS
// 0, 1 and 2; PINGREQ; DISCONNECT. It keeps no state across connections:
// the broker keeps the persistent session.
type v311Session struct {
	conn  net.Conn
	hooks sessionHooks

	wmu sync.Mutex // one packet written at a time

	mu       sync.Mutex
	nextID   uint16
	waiting  map[uint16]chan packets.Packet // SUBACK, UNSUBACK, PUBACK, PUBCOMP by packet id
	incoming map[uint16]bool                // QoS 2 messages received, until PUBREL
	err      error
	closed   chan struct{}
	quiet    bool // ended on purpose: do not report
}

const v311 = 4

// writeTimeout bounds one packet write, so a stuck connection cannot hang a request.
const writeTimeout = 10 * time.Second

var _ connectFunc = connectV311

func connectV311(ctx context.Context, conn net.Conn, o Options, user, pass string, h sessionHooks) (session, bool, error) {
	s := &v311Session{conn: conn, hooks: h, waiting: map[uint16]chan packets.Packet{}, incoming: map[uint16]bool{}, closed: make(chan struct{})}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connect},
		ProtocolVersion: v311,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: o.CleanStart,
			Keepalive: o.KeepAlive, ClientIdentifier: o.ClientID},
	}
	if user != "" {
		pk.Connect.UsernameFlag, pk.Connect.Username = true, []byte(user)
		pk.Connect.PasswordFlag, pk.Connect.Password = true, []byte(pass)
	}
	if w := o.Will; w != nil {
		pk.Connect.WillFlag, pk.Connect.WillTopic, pk.Connect.WillPayload = true, w.Topic, []byte(w.Payload)
		pk.Connect.WillQos, pk.Connect.WillRetain = w.QoS, w.Retain
	}
	if err := s.write(pk); err != nil {
		return nil, false, errors.New(describe(err))
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	r := bufio.NewReader(conn)
	ack, err := readPacket(r)
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil {
		return nil, false, errors.New(describe(err))
	}
	if ack.FixedHeader.Type != packets.Connack {
		return nil, false, fmt.Errorf("the broker answered with %s instead of CONNACK", packets.PacketNames[ack.FixedHeader.Type])
	}
	if ack.ReasonCode != 0 {
		return nil, false, &refusal{code: ack.ReasonCode}
	}
	go s.read(r)
	if o.KeepAlive > 0 {
		go s.ping(time.Duration(o.KeepAlive) * time.Second * 3 / 4)
	}
	return s, ack.SessionPresent, nil
}

// readPacket reads and decodes one packet.
func readPacket(r *bufio.Reader) (packets.Packet, error) {
	pk := packets.Packet{ProtocolVersion: v311}
	b, err := r.ReadByte()
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(b); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Pubrec:
		err = pk.PubrecDecode(body)
	case packets.Pubrel:
		err = pk.PubrelDecode(body)
	case packets.Pubcomp:
		err = pk.PubcompDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Unsuback:
		err = pk.UnsubackDecode(body)
	case packets.Pingresp:
	default:
		err = fmt.Errorf("unexpected %s from the broker", packets.PacketNames[pk.FixedHeader.Type])
	}
	return pk, err
}

func (s *v311Session) write(pk packets.Packet) error {
	pk.ProtocolVersion = v311
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Puback:
		err = pk.PubackEncode(&buf)
	case packets.Pubrec:
		err = pk.PubrecEncode(&buf)
	case packets.Pubrel:
		pk.FixedHeader.Qos = 1 // [MQTT-3.6.1-1]
		err = pk.PubrelEncode(&buf)
	case packets.Pubcomp:
		err = pk.PubcompEncode(&buf)
	case packets.Subscribe:
		pk.FixedHeader.Qos = 1 // [MQTT-3.8.1-1]
		err = pk.SubscribeEncode(&buf)
	case packets.Unsubscribe:
		pk.FixedHeader.Qos = 1 // [MQTT-3.10.1-1]
		err = pk.UnsubscribeEncode(&buf)
	case packets.Pingreq:
		err = pk.PingreqEncode(&buf)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&buf)
	default:
		err = fmt.Errorf("cannot send packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = s.conn.Write(buf.Bytes())
	return err
}

// read runs until the connection ends, answering the broker's publishes and
// handing acknowledgements to whoever waits for them.
func (s *v311Session) read(r *bufio.Reader) {
	var err error
	for err == nil {
		var pk packets.Packet
		if pk, err = readPacket(r); err != nil {
			break
		}
		switch pk.FixedHeader.Type {
		case packets.Publish:
			err = s.received(pk)
		case packets.Pubrel:
			s.mu.Lock()
			delete(s.incoming, pk.PacketID)
			s.mu.Unlock()
			err = s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubcomp}, PacketID: pk.PacketID})
		case packets.Pubrec:
			if pk.ReasonCode >= 0x80 {
				s.deliver(pk)
				continue
			}
			err = s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrel}, PacketID: pk.PacketID})
		case packets.Puback, packets.Pubcomp, packets.Suback, packets.Unsuback:
			s.deliver(pk)
		}
	}
	s.end(err)
}

func (s *v311Session) received(pk packets.Packet) error {
	qos := pk.FixedHeader.Qos
	switch qos {
	case 1:
		s.hooks.message(pk.TopicName, pk.Payload, qos, pk.FixedHeader.Retain, pk.FixedHeader.Dup)
		return s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
	case 2:
		s.mu.Lock()
		seen := s.incoming[pk.PacketID]
		s.incoming[pk.PacketID] = true
		s.mu.Unlock()
		if !seen { // a resent QoS 2 message is delivered once
			s.hooks.message(pk.TopicName, pk.Payload, qos, pk.FixedHeader.Retain, pk.FixedHeader.Dup)
		}
		return s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pubrec}, PacketID: pk.PacketID})
	}
	s.hooks.message(pk.TopicName, pk.Payload, 0, pk.FixedHeader.Retain, false)
	return nil
}

func (s *v311Session) deliver(pk packets.Packet) {
	s.mu.Lock()
	ch := s.waiting[pk.PacketID]
	delete(s.waiting, pk.PacketID)
	s.mu.Unlock()
	if ch != nil {
		ch <- pk
	}
}

func (s *v311Session) end(err error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	if err == nil {
		err = io.EOF
	}
	s.err = err
	quiet := s.quiet
	s.waiting = map[uint16]chan packets.Packet{}
	close(s.closed)
	s.mu.Unlock()
	_ = s.conn.Close()
	if !quiet {
		s.hooks.ended(describe(err))
	}
}

func (s *v311Session) ping(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
			if err := s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}}); err != nil {
				s.end(err)
				return
			}
		}
	}
}

// request sends a packet with a fresh packet id and waits for its answer.
func (s *v311Session) request(ctx context.Context, pk packets.Packet) (packets.Packet, error) {
	ch := make(chan packets.Packet, 1)
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return pk, s.err
	}
	for {
		s.nextID++
		if s.nextID == 0 {
			s.nextID = 1
		}
		if s.waiting[s.nextID] == nil {
			break
		}
	}
	pk.PacketID = s.nextID
	s.waiting[pk.PacketID] = ch
	s.mu.Unlock()
	if err := s.write(pk); err != nil {
		return pk, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case ack := <-ch:
		return ack, nil
	case <-s.closed:
		return pk, errors.New("the connection closed before the broker answered")
	case <-ctx.Done():
		return pk, ctx.Err()
	}
}

func (s *v311Session) subscribe(ctx context.Context, filter string, qos byte) (byte, error) {
	ack, err := s.request(ctx, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe},
		Filters: packets.Subscriptions{{Filter: filter, Qos: qos}}})
	if err != nil {
		return 0, err
	}
	if len(ack.ReasonCodes) != 1 {
		return 0, errors.New("the broker's SUBACK has no return code")
	}
	if code := ack.ReasonCodes[0]; code >= 0x80 {
		return 0, &refusal{code: code, reason: "MQTT 3.1.1 does not say why; the log may"}
	}
	return ack.ReasonCodes[0], nil
}

func (s *v311Session) unsubscribe(ctx context.Context, filter string) error {
	_, err := s.request(ctx, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Unsubscribe},
		Filters: packets.Subscriptions{{Filter: filter}}})
	return err
}

func (s *v311Session) publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos, Retain: retain},
		TopicName: topic, Payload: payload}
	if qos == 0 {
		return s.write(pk)
	}
	_, err := s.request(ctx, pk)
	return err
}

func (s *v311Session) disconnect() {
	s.mu.Lock()
	s.quiet = true
	s.mu.Unlock()
	_ = s.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
	_ = s.conn.Close()
}

func (s *v311Session) drop() {
	s.mu.Lock()
	s.quiet = true
	s.mu.Unlock()
	_ = s.conn.Close()
}

func (s *v311Session) done() <-chan struct{} { return s.closed }
