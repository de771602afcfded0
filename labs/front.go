package labs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Front routes MQTT connections to sandboxes. It reads the first packet
// under a deadline, decodes the CONNECT, picks the sandbox (personal mode:
// the personal one; classroom mode: by username and password) and hands the
// connection, with the bytes already read, to that sandbox's broker through
// EstablishConnection. Clients see a normal broker.
type Front struct {
	labs   *Labs
	logins loginGuard
}

// Transports, also the listener ids the brokers see.
const (
	TransportTCP     = "tcp"
	TransportWS      = "ws"
	TransportConsole = "console" // the lab console's clients, run by the server on a learner's behalf
)

// ServeConn runs one MQTT connection that reached the server some other way
// than ServeTCP or ServeHTTP (the lab console's in-memory pipes), routing it
// like any other; it returns when the connection ends.
func (f *Front) ServeConn(c net.Conn, transport string) { f.serveConn(c, transport) }

// ServeTCP accepts MQTT connections on ln until ln is closed; it then
// returns nil (connections already handed over live on until they end).
func (f *Front) ServeTCP(ln net.Listener) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Anything else (out of file descriptors…) passes: back off rather than spin or stop serving.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			f.labs.log.Warn("mqtt accept", "error", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		go f.serveConn(c, TransportTCP)
	}
}

// connectRefusal is why the front refused a CONNECT, with the MQTT 3 and 5
// CONNACK codes to send.
type connectRefusal struct {
	v3, v5 byte
	reason string
}

var (
	refuseAnonymous  = connectRefusal{0x05, 0x87, "this classroom needs the MQTT username and password shown in your lab panel"}
	refuseBadLogin   = connectRefusal{0x04, 0x86, "wrong MQTT username or password: copy them again from your lab panel"}
	refuseTooMany    = connectRefusal{0x03, 0x97, "your sandbox already has the most MQTT clients it allows: disconnect one first"}
	refuseServerFull = connectRefusal{0x03, 0x89, "the lab server is full: try again in a few minutes"}
	refuseLoginRate  = connectRefusal{0x03, 0x9F, "too many wrong MQTT passwords from your address: wait a minute, then copy the username and password again from your lab panel"}
)

// refuseUnreachable refuses a CONNECT while a fault makes the broker
// unreachable for d more (see Sandbox.MakeUnreachable).
func refuseUnreachable(d time.Duration) connectRefusal {
	return connectRefusal{0x03, 0x88, fmt.Sprintf("your broker is unreachable for %d more seconds (a fault you injected): try again then", int(d.Seconds()+0.999))}
}

// serveConn runs one connection from first byte to last. It never panics:
// a bad client must not take the front down.
func (f *Front) serveConn(c net.Conn, transport string) {
	defer func() {
		if r := recover(); r != nil {
			f.labs.log.Error("mqtt front panicked", "panic", fmt.Sprint(r), "remote", c.RemoteAddr().String())
		}
	}()
	f.serve(c, transport)
}

// serve is serveConn without its safety net, so that the fuzz target sees
// a panic: it reads the CONNECT under a deadline and hands the connection
// over; it closes c when the connection ends.
func (f *Front) serve(c net.Conn, transport string) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(f.labs.cfg.ConnectTimeout))
	raw, pk, err := readConnect(c, f.labs.cfg.Limits.PacketSize)
	if err != nil {
		f.labs.log.Debug("mqtt connection dropped before CONNECT", "error", err, "remote", c.RemoteAddr().String(), "transport", transport)
		return
	}
	_ = c.SetReadDeadline(time.Time{}) // the broker sets its own, from the keep-alive
	f.handOver(c, transport, raw, pk)
}

// handOver picks the sandbox for a decoded CONNECT and lets its broker run
// the connection; it returns when the connection ends.
func (f *Front) handOver(c net.Conn, transport string, raw []byte, pk packets.Packet) {
	learner := f.labs.Personal()
	if f.labs.cfg.Classroom {
		if !pk.Connect.UsernameFlag || len(pk.Connect.Username) == 0 {
			refuse(c, pk, refuseAnonymous)
			return
		}
		addr := sourceAddr(c)
		var ok bool
		learner, ok = f.labs.Authenticate(string(pk.Connect.Username), string(pk.Connect.Password))
		if !ok {
			// The right password always gets in, even from a blocked
			// address: a classroom often shares one address behind NAT.
			why := refuseBadLogin
			if f.logins.failed(addr, time.Now()) {
				why = refuseLoginRate
				f.logins.slowDown()
			}
			f.refused(pk, transport, why)
			refuse(c, pk, why)
			return
		}
	}
	for attempt := 0; ; attempt++ {
		sb, err := f.labs.Sandbox(learner, f.labs.defaultSetup())
		if err != nil {
			refuse(c, pk, refuseServerFull)
			return
		}
		if d := sb.unreachableFor(); d > 0 {
			why := refuseUnreachable(d)
			sb.note("refused", Event{Kind: KindRefused, ClientID: pk.Connect.ClientIdentifier,
				Detail: &RefusedInfo{Reason: why.reason, Transport: transport}})
			refuse(c, pk, why)
			return
		}
		ok, closed := sb.acquire()
		if closed && attempt < 3 {
			continue // reclaimed between lookup and acquire: a fresh one is made
		}
		if !ok {
			sb.limit("clients", pk.Connect.ClientIdentifier, "", refuseTooMany.reason)
			refuse(c, pk, refuseTooMany)
			return
		}
		conn := newMeteredConn(c, sb, raw, pk)
		leave := sb.handovers.enter(conn, pk.Connect.ClientIdentifier)
		err = sb.server.EstablishConnection(transport, conn)
		leave()
		sb.release()
		f.labs.log.Debug("mqtt connection ended", "sandbox", learner, "error", err)
		return
	}
}

// refused tells the sandbox whose username a refused CONNECT gave, in a
// "refused" journal line: at most one a second (see Sandbox.note), kept
// apart from the learner's own events (see Event.noise), so that a stranger
// knowing only a username can neither flood nor wipe that learner's journal.
func (f *Front) refused(pk packets.Packet, transport string, why connectRefusal) {
	if sb := f.labs.Lookup(string(pk.Connect.Username)); sb != nil {
		sb.note("refused", Event{Kind: KindRefused, ClientID: pk.Connect.ClientIdentifier,
			Detail: &RefusedInfo{Reason: why.reason, Transport: transport}})
	}
}

// readConnect reads the first packet, which must be a CONNECT no larger
// than maxSize, and returns its bytes and its decoded form.
func readConnect(r io.Reader, maxSize int) ([]byte, packets.Packet, error) {
	var pk packets.Packet
	br := bufio.NewReaderSize(r, 16)
	var head bytes.Buffer
	b, err := br.ReadByte()
	if err != nil {
		return nil, pk, err
	}
	head.WriteByte(b)
	if b != packets.Connect<<4 {
		return nil, pk, fmt.Errorf("first packet is not CONNECT (byte 0x%02x)", b)
	}
	n, _, err := packets.DecodeLength(byteRecorder{br, &head})
	if err != nil {
		return nil, pk, fmt.Errorf("connect length: %w", err)
	}
	if head.Len()+n > maxSize || n < 10 {
		return nil, pk, fmt.Errorf("connect length %d out of range", n)
	}
	raw := make([]byte, head.Len()+n)
	copy(raw, head.Bytes())
	if _, err := io.ReadFull(br, raw[head.Len():]); err != nil {
		return nil, pk, fmt.Errorf("connect body: %w", err)
	}
	if br.Buffered() > 0 {
		// bytes after the CONNECT (a client that pipelines SUBSCRIBE): keep them for the broker
		extra, _ := br.Peek(br.Buffered())
		raw = append(raw, extra...)
	}
	pk.FixedHeader = packets.FixedHeader{Type: packets.Connect, Remaining: n}
	if err := pk.ConnectDecode(raw[head.Len() : head.Len()+n]); err != nil {
		return nil, pk, fmt.Errorf("decode connect: %w", err)
	}
	return raw, pk, nil
}

// byteRecorder keeps the bytes of the remaining length as they are read.
type byteRecorder struct {
	r   io.ByteReader
	buf *bytes.Buffer
}

func (b byteRecorder) ReadByte() (byte, error) {
	c, err := b.r.ReadByte()
	if err == nil {
		b.buf.WriteByte(c)
	}
	return c, err
}

// refuse answers a CONNECT with a failure CONNACK in the client's protocol
// version, then the caller closes the connection.
func refuse(c net.Conn, pk packets.Packet, why connectRefusal) {
	ack := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connack},
		ProtocolVersion: pk.ProtocolVersion,
		ReasonCode:      why.v3,
	}
	if pk.ProtocolVersion == 5 {
		ack.ReasonCode = why.v5
		ack.Properties.ReasonString = why.reason
	}
	var buf bytes.Buffer
	if err := ack.ConnackEncode(&buf); err != nil {
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Write(buf.Bytes())
}
