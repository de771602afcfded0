package labs_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// wsURL serves l's front over HTTP and returns the /mqtt WebSocket address.
func wsURL(t *testing.T, l *labs.Labs) string {
	t.Helper()
	srv := httptest.NewServer(l.Front())
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/mqtt"
}

// dialWS opens a WebSocket to url with the "mqtt" subprotocol and returns
// it as a net.Conn whose every Write is one binary message.
func dialWS(t *testing.T, url string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), labtest.Wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	c := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recordingConn keeps, in order, what each Write call sent.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recordingConn) sent() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []byte
	for _, w := range c.writes {
		all = append(all, w...)
	}
	return all
}

// connectSubscribeLoop connects n paho clients, each over the conn wire
// makes of a fresh connection from dial and subscribing right after its
// CONNACK (as a learner's script does). It returns how many SUBSCRIBEs
// failed, with the bytes the first failing client wrote (recorded below
// wire, as they went out).
func connectSubscribeLoop(t *testing.T, n int, dial func() net.Conn, wire func(net.Conn) net.Conn) (failed int, firstBad []byte) {
	t.Helper()
	for i := range n {
		rec := &recordingConn{Conn: dial()}
		c, _, err := labtest.Over(t, wire(rec), &paho.Connect{ClientID: fmt.Sprintf("loop-%d", i), CleanStart: true})
		if err != nil {
			t.Fatalf("connect %d: %v", i, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "devices/+/sensors/#", QoS: 1}}})
		cancel()
		if err != nil || sa == nil || len(sa.Reasons) != 1 || sa.Reasons[0] != 1 {
			failed++
			if firstBad == nil {
				firstBad = rec.sent()
			}
		}
		_ = c.Disconnect(&paho.Disconnect{})
		_ = rec.Close()
	}
	return failed, firstBad
}

// TestPahoOverWebSocketSubscribesRightAfterConnect: paho.golang writes a
// packet in several Write calls (fixed header, then each part of the body:
// net.Buffers.WriteTo on anything but a *net.TCPConn), and right after the
// CONNACK its pinger goroutine writes a PINGREQ while Subscribe is writing
// the SUBSCRIBE. coder/websocket's NetConn locks each Write, not each
// packet, so the PINGREQ can land inside the SUBSCRIBE: the broker then
// reads "property type 0 not valid for packet type 8" or "malformed packet:
// topic". Over TCP, writev sends each packet whole. paho serialises whole
// packets when the conn is a sync.Locker: packets.NewThreadSafeConn, which
// labtest.DialWS uses. Every paho client over WebSocket must be wired so.
func TestPahoOverWebSocketSubscribesRightAfterConnect(t *testing.T) {
	const n = 40
	l := labtest.NewLabs(t, labs.Config{})
	url := wsURL(t, l)
	tcp := labtest.StartFront(t, l)
	ws := func() net.Conn { return dialWS(t, url) }
	cases := []struct {
		name string
		dial func() net.Conn
		wire func(net.Conn) net.Conn
	}{
		// Over TCP the recorder, which is no *net.TCPConn, would split
		// paho's writev: serialise above it, as paho's writev does.
		{"tcp", func() net.Conn {
			c, err := net.Dial("tcp", tcp)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, labtest.SerialisedWrites},
		{"websocket, writes serialised per packet", ws, labtest.SerialisedWrites},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if failed, bad := connectSubscribeLoop(t, n, tc.dial, tc.wire); failed > 0 {
				t.Fatalf("%d of %d SUBSCRIBEs right after CONNECT failed; the first failing client sent % x", failed, n, bad)
			}
		})
	}
}

// TestInterleavedPingInsideSubscribeIsMalformedOverTCPToo proves that the
// failures above come from the client's bytes, not from how the server
// reads WebSocket messages: the stream an unserialised paho client sends
// (a PINGREQ inside a SUBSCRIBE) is refused the same way over plain TCP,
// while the same packets in order are served over both transports.
func TestInterleavedPingInsideSubscribeIsMalformedOverTCPToo(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	url, tcp := wsURL(t, l), labtest.StartFront(t, l)
	sub := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
		ProtocolVersion: 5, Filters: packets.Subscriptions{{Filter: "devices/#", Qos: 1}}})
	ping := []byte{packets.Pingreq << 4, 0}
	// paho's pieces: fixed header (2 bytes), packet id, properties length, payload.
	interleaved := concat(sub[:2], sub[2:4], ping, sub[4:5], sub[5:])
	ordered := concat(sub, ping)
	tcpDial := func() net.Conn {
		c, err := net.Dial("tcp", tcp)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	for _, tr := range []struct {
		name string
		dial func() net.Conn
	}{{"tcp", tcpDial}, {"websocket", func() net.Conn { return dialWS(t, url) }}} {
		t.Run(tr.name+"/ordered", func(t *testing.T) {
			c := tr.dial()
			r := connectRaw(t, c, 5, "ordered", [][]byte{})
			write(t, c, ordered)
			if typ, body := readRawPacket(t, r); typ != packets.Suback || body[len(body)-1] != 1 {
				t.Fatalf("got type %d % x, want SUBACK granting QoS 1", typ, body)
			}
		})
		t.Run(tr.name+"/interleaved", func(t *testing.T) {
			c := tr.dial()
			r := connectRaw(t, c, 5, "interleaved", [][]byte{})
			write(t, c, interleaved)
			_ = c.SetReadDeadline(time.Now().Add(labtest.Wait))
			for {
				typ, _, err := readRawPacketErr(r)
				if err != nil {
					if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
						t.Fatal("the connection stayed open after a malformed SUBSCRIBE")
					}
					return // closed: the broker refused the malformed SUBSCRIBE
				}
				if typ == packets.Suback {
					t.Fatal("a SUBSCRIBE with a PINGREQ inside it was granted")
				}
			}
		})
	}
}

// TestWebSocketPacketsAcrossMessageBoundaries: MQTT over WebSocket lets a
// message hold part of a packet or several packets ([MQTT-6.0.0-2]); the
// server must not care where the messages end, from the CONNECT it reads
// itself to the packets mochi reads after it, in MQTT 3.1.1 and 5.
func TestWebSocketPacketsAcrossMessageBoundaries(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	url := wsURL(t, l)
	for _, version := range []byte{4, 5} {
		sub := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 7,
			ProtocolVersion: version, Filters: packets.Subscriptions{{Filter: "devices/+/sensors/#", Qos: 1}}})
		pub := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: version,
			TopicName: "devices/d/sensors/t", Payload: []byte("21.5")})
		// Each case connects with a client id of its own: one id reused at
		// once would race the previous connection's clean-up, which is not
		// what this test is about.
		n := 0
		for name, msgs := range boundaryCases(sub, pub, func() []byte {
			n++
			return labtest.Encode(t, labtest.RawConnect(version, fmt.Sprintf("split-v%d-%d", version, n), "", "", true))
		}) {
			t.Run(fmt.Sprintf("v%d/%s", version, name), func(t *testing.T) {
				testBoundaryCase(t, url, msgs)
			})
		}
	}
}

// boundaryCases cuts CONNECT (a fresh one for each case), SUBSCRIBE and
// PUBLISH into WebSocket messages in several ways.
func boundaryCases(sub, pub []byte, newConnect func() []byte) map[string][][]byte {
	cases := map[string]func(connect, all []byte) [][]byte{
		"one message for all": func(connect, all []byte) [][]byte { return [][]byte{all} },
		"one byte a message":  func(connect, all []byte) [][]byte { return bytesEach(all) },
		"split inside length": func(connect, all []byte) [][]byte {
			return [][]byte{all[:1], all[1 : len(connect)+1], all[len(connect)+1 : len(connect)+3], all[len(connect)+3:]}
		},
		"connect then the rest": func(connect, all []byte) [][]byte { return [][]byte{connect, concat(sub, pub)} },
		"paho-like pieces": func(connect, all []byte) [][]byte {
			return [][]byte{connect[:2], connect[2:], sub[:2], sub[2:4], sub[4:], pub[:2], pub[2:]}
		},
		"straddling three packs": func(connect, all []byte) [][]byte {
			return [][]byte{all[:len(connect)-3], all[len(connect)-3 : len(connect)+len(sub)+2], all[len(connect)+len(sub)+2:]}
		},
	}
	out := map[string][][]byte{}
	for name, cut := range cases {
		connect := newConnect()
		out[name] = cut(connect, concat(connect, sub, pub))
	}
	return out
}

// testBoundaryCase sends msgs and expects CONNACK, a SUBACK granting QoS 1
// and the PUBLISH back.
func testBoundaryCase(t *testing.T, url string, msgs [][]byte) {
	t.Helper()
	c := dialWS(t, url)
	br := bufio.NewReader(c)
	for _, m := range msgs {
		write(t, c, m)
	}
	_ = c.SetReadDeadline(time.Now().Add(labtest.Wait))
	for _, typ := range []byte{packets.Connack, packets.Suback, packets.Publish} {
		got, body, err := readRawPacketErr(br)
		if err != nil {
			t.Fatalf("waiting for %s: %v", packets.PacketNames[typ], err)
		}
		if got != typ {
			t.Fatalf("got %s % x, want %s", packets.PacketNames[got], body, packets.PacketNames[typ])
		}
		if typ == packets.Suback && body[len(body)-1] != 1 {
			t.Fatalf("SUBACK % x, want QoS 1 granted", body)
		}
		if typ == packets.Publish && !strings.HasSuffix(string(body), "21.5") {
			t.Fatalf("PUBLISH % x", body)
		}
	}
}

func concat(parts ...[]byte) []byte {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func bytesEach(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func write(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	_ = c.SetWriteDeadline(time.Now().Add(labtest.Wait))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// connectRaw sends a CONNECT (then extra, each its own write) and reads the CONNACK.
func connectRaw(t *testing.T, c net.Conn, version byte, id string, extra [][]byte) *bufio.Reader {
	t.Helper()
	write(t, c, labtest.Encode(t, labtest.RawConnect(version, id, "", "", true)))
	for _, e := range extra {
		write(t, c, e)
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(labtest.Wait))
	if typ, body := readRawPacket(t, br); typ != packets.Connack || body[1] != 0 {
		t.Fatalf("got type %d % x, want a CONNACK accepting", typ, body)
	}
	return br
}

func readRawPacket(t *testing.T, r *bufio.Reader) (byte, []byte) {
	t.Helper()
	typ, body, err := readRawPacketErr(r)
	if err != nil {
		t.Fatal(err)
	}
	return typ, body
}

// readRawPacketErr reads one packet's type and body, whatever its version.
func readRawPacketErr(r *bufio.Reader) (byte, []byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, _, err := packets.DecodeLength(r)
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return b >> 4, body, nil
}

// oneByteReads hands its reader one byte per Read, the worst a WebSocket
// client splitting its packets into tiny messages can do.
type oneByteReads struct{ net.Conn }

func (c oneByteReads) Read(p []byte) (int, error) { return c.Conn.Read(p[:min(len(p), 1)]) }

// TestMochiContractReadsPacketsWhateverTheReadBoundaries pins, on a bare
// mochi v2.7.9 broker, what the front relies on when it hands a WebSocket
// over: mochi frames packets itself from a byte stream (through its own
// buffered reader), so where the conn's Reads end, one byte at a time or
// several packets at once, does not matter; and a SUBSCRIBE with foreign
// bytes inside is refused by closing the connection. If this fails after a
// mochi upgrade, the front must frame packets for mochi itself.
func TestMochiContractReadsPacketsWhateverTheReadBoundaries(t *testing.T) {
	_, addr := startBareMochi(t, func(c net.Conn) net.Conn { return oneByteReads{c} })
	for _, version := range []byte{4, 5} {
		connect := labtest.Encode(t, labtest.RawConnect(version, fmt.Sprintf("bytes-v%d", version), "", "", true))
		sub := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 3,
			ProtocolVersion: version, Filters: packets.Subscriptions{{Filter: "a/#", Qos: 1}}})
		pub := labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: version,
			TopicName: "a/b", Payload: []byte("x")})
		dial := func() (net.Conn, *bufio.Reader) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			_ = c.SetReadDeadline(time.Now().Add(labtest.Wait))
			return c, bufio.NewReader(c)
		}
		c, r := dial()
		write(t, c, concat(connect, sub, pub)) // all in one go
		for _, want := range []byte{packets.Connack, packets.Suback, packets.Publish} {
			if got, body, err := readRawPacketErr(r); err != nil || got != want {
				t.Fatalf("v%d: got %d % x %v, want %s: mochi no longer frames a pipelined stream read a byte at a time",
					version, got, body, err, packets.PacketNames[want])
			}
		}
		c, r = dial()
		write(t, c, concat(connect, sub[:4], []byte{packets.Pingreq << 4, 0}, sub[4:]))
		if got, _, err := readRawPacketErr(r); err != nil || got != packets.Connack {
			t.Fatalf("v%d: got %d %v, want CONNACK", version, got, err)
		}
		for {
			got, _, err := readRawPacketErr(r)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("v%d: mochi kept the connection open after a SUBSCRIBE with a PINGREQ inside", version)
				}
				break
			}
			if got == packets.Suback {
				t.Fatalf("v%d: mochi granted a SUBSCRIBE with a PINGREQ inside", version)
			}
		}
	}
}
