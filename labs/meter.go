package labs

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// meteredConn is the connection a sandbox broker reads a client from. It
// follows the MQTT framing of what the client sends (each packet's type and
// remaining length, never its content) to do what mochi does not:
//
//   - Back-pressure: the first byte of a PUBLISH is handed to the broker only
//     once the sandbox's publish rate allows it. A client over the rate is
//     simply not read meanwhile: it waits in its own TCP window instead of
//     making the broker decode messages only to drop them, which is what let
//     one learner's flood slow every other learner down. A client over the
//     rate without a break for Limits.FloodTimeout gets DISCONNECT 0x96.
//   - Packet too large: an MQTT 5 client whose packet is over the size the
//     CONNACK announced gets DISCONNECT 0x95 before mochi closes the
//     connection ([MQTT-3.2.2-15] lets a server just close; saying why is kinder).
//
// mochi keeps it as the client's Net.Conn, which disconnectNow relies on.
type meteredConn struct {
	net.Conn
	sb       *Sandbox
	clientID string
	v5       bool

	wmu       sync.Mutex     // mochi writes whole packets; the DISCONNECTs written here go between them
	swallows  []swallowedAck // the broker's acks a fault withholds (fault_conn.go), under wmu
	closeOnce sync.Once
	closed    chan struct{}

	pending []byte // read from Conn (or replayed from the front), not yet handed to the broker
	buf     []byte
	frame   framing
	// throttledSince is when the client's publishes started waiting for
	// their turn without a break; lastWait, when the latest wait ended. Past
	// Limits.FloodTimeout the connection ends: what it already sent (socket
	// buffers hold minutes of tiny publishes at the rate, even after the
	// client quits) would otherwise keep one of the sandbox's client slots
	// long after Ctrl+C.
	throttledSince, lastWait time.Time
}

// framing is where the reader stands in the client's packet stream.
type framing struct {
	inLength  bool // reading the remaining length's bytes
	remaining int  // the remaining length decoded so far
	shift     uint
	body      int  // bytes of the current packet's body still to hand out
	paid      bool // the PUBLISH starting at pending[0] got its turn from the rate
	lost      bool // malformed length: hand everything out, mochi closes the connection
}

func newMeteredConn(c net.Conn, sb *Sandbox, replay []byte, connect packets.Packet) *meteredConn {
	return &meteredConn{Conn: c, sb: sb, clientID: connect.Connect.ClientIdentifier, v5: connect.ProtocolVersion == 5,
		closed: make(chan struct{}), pending: replay}
}

func (c *meteredConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		if c.buf == nil {
			c.buf = make([]byte, 4096)
		}
		n, err := c.Conn.Read(c.buf)
		if n == 0 {
			return 0, err
		}
		c.pending = c.buf[:n] // an error with data comes back on the next Read
	}
	if c.frame.lost {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n := 0
	for n < len(p) && len(c.pending) > 0 {
		f := &c.frame
		if f.body > 0 {
			k := copy(p[n:], c.pending[:min(f.body, len(c.pending))])
			n, f.body, c.pending = n+k, f.body-k, c.pending[k:]
			continue
		}
		b := c.pending[0]
		switch {
		case !f.inLength: // the first byte of a packet
			if b>>4 == packets.Publish && !f.paid {
				if n > 0 {
					return n, nil // what came before goes now; this PUBLISH waits on the next Read
				}
				if err := c.waitTurn(); err != nil {
					return 0, err
				}
				f.paid = true
			}
			f.inLength, f.remaining, f.shift = true, 0, 0
		default:
			f.remaining |= int(b&0x7f) << f.shift
			f.shift += 7
			if b&0x80 == 0 {
				f.inLength, f.paid, f.body = false, false, f.remaining
				if limit := c.sb.limits.PacketSize; f.remaining+1 > limit { // mochi's own test, which then closes
					c.tooLarge(limit)
				}
			} else if f.shift > 21 {
				f.lost = true
			}
		}
		p[n] = b
		n++
		c.pending = c.pending[1:]
	}
	return n, nil
}

// waitTurn waits until the sandbox's publish rate lets one more PUBLISH in.
func (c *meteredConn) waitTurn() error {
	wait := c.sb.bucket.reserve()
	if wait <= 0 {
		return nil
	}
	// A break in the waiting (none for a second, or half the timeout) ends a
	// flood; a busy machine's scheduling delays, which refill the bucket
	// between two reads of a client still sending, do not.
	now := time.Now()
	if c.throttledSince.IsZero() || now.Sub(c.lastWait) > min(time.Second, c.sb.limits.FloodTimeout/2) {
		c.throttledSince = now
	} else if now.Sub(c.throttledSince) > c.sb.limits.FloodTimeout {
		c.sb.limit("publish-flood", c.clientID, "", fmt.Sprintf(
			"this client published over the rate of %g a second for %v without a break: disconnected; slow your publisher down",
			c.sb.limits.PublishRate, c.sb.limits.FloodTimeout))
		c.disconnect(packets.ErrMessageRateTooHigh, "")
		return packets.ErrMessageRateTooHigh
	}
	c.sb.limit("publish-rate", c.clientID, "", fmt.Sprintf(
		"more than %g publishes per second (burst %d): the broker now reads your publishes at that rate, so they arrive late; slow your publisher down",
		c.sb.limits.PublishRate, c.sb.limits.PublishBurst))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		c.lastWait = time.Now()
		return nil
	case <-c.closed:
		return net.ErrClosed
	}
}

// tooLarge tells an MQTT 5 client that its packet is over the limit.
func (c *meteredConn) tooLarge(limit int) {
	c.disconnect(packets.ErrPacketTooLarge, fmt.Sprintf("packet too large: at most %s per packet", byteSize(int64(limit))))
}

// disconnect sends an MQTT 5 client a DISCONNECT with code and reason (the
// code's own words if empty); MQTT 3 has no server DISCONNECT: closing the
// connection, which follows, is the answer.
func (c *meteredConn) disconnect(code packets.Code, reason string) {
	if !c.v5 {
		return
	}
	if reason == "" {
		reason = code.Reason
	}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Disconnect},
		ProtocolVersion: 5,
		ReasonCode:      code.Code,
		Properties:      packets.Properties{ReasonString: reason},
	}
	var buf bytes.Buffer
	if err := pk.DisconnectEncode(&buf); err == nil {
		_, _ = c.Write(buf.Bytes())
	}
}

// Write hands mochi's packets to the client. A write that fails closes the
// connection and reports the bytes written: mochi v2.7.9 ends a connection
// whose CONNACK or resent session messages cannot be written without its
// disconnect work (no will, no OnDisconnect hook, so no journal line, and a
// clean session left behind), while a connection that fails under its
// reader gets all of it. What was lost is lost as on any broken network: a
// QoS 1 or 2 message stays in flight and is sent again when the client
// comes back.
func (c *meteredConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	kept, cut := p, false
	if len(c.swallows) > 0 {
		kept, cut = c.withoutSwallowed(p)
	}
	if len(kept) > 0 {
		if _, err := c.Conn.Write(kept); err != nil {
			cut = true
		}
	}
	if cut {
		_ = c.Close() // a lost connection: mochi's reader finds it closed
	}
	return len(p), nil // mochi wrote it all, as far as it knows
}

func (c *meteredConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
