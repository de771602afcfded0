package labs

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// memConn is a net.Conn that reads the fuzz input and discards writes, so
// the whole front path (and the broker behind it) runs without sockets.
type memConn struct {
	r *bytes.Reader
}

func (c *memConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

func connectBytes(f *testing.F, pk packets.Packet) []byte {
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// errorLog keeps the Error records of a logger (a recovered panic anywhere
// in Labs is logged at Error), so that the fuzz target fails on them
// instead of discarding them with the rest of the log.
type errorLog struct {
	mu      sync.Mutex
	records []string
}

func (h *errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	h.records = append(h.records, msg)
	return nil
}
func (h *errorLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorLog) WithGroup(string) slog.Handler      { return h }

func (h *errorLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.records
	h.records = nil
	return r
}

func FuzzFrontFirstPacket(f *testing.F) {
	for _, c := range []byte{packets.TConnectMqtt31, packets.TConnectMqtt311, packets.TConnectMqtt5,
		packets.TConnectMqtt5LWT, packets.TConnectClean, packets.TConnectUserPass} {
		f.Add(packets.TPacketData[packets.Connect].Get(c).RawBytes)
	}
	for _, v := range []byte{3, 4, 5} {
		name := "MQTT"
		if v == 3 {
			name = "MQIsdp"
		}
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: v,
			Connect: packets.ConnectParams{ProtocolName: []byte(name), Clean: true, Keepalive: 30, ClientIdentifier: "fuzz",
				UsernameFlag: true, Username: []byte("alice"), PasswordFlag: true, Password: []byte("pw"),
				WillFlag: true, WillTopic: "w", WillPayload: []byte("bye"), WillQos: 1}}
		b := connectBytes(f, pk)
		f.Add(b)
		f.Add(append(b, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x01))         // CONNECT then a pipelined SUBSCRIBE
		f.Add(append(b, 0x32, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, 'x', 0xc0, 0)) // then a QoS 1 PUBLISH and a PINGREQ
	}
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte("garbage"))

	errs := &errorLog{}
	log := slog.New(errs)
	fast := Limits{PublishRate: 1e9, PublishBurst: 1 << 30} // the fuzzer's publishes are not slowed down
	personal := New(Config{Logger: log, ConnectTimeout: time.Second, Limits: fast})
	classroom := New(Config{Classroom: true, Logger: log, Secret: []byte("s"), ConnectTimeout: time.Second, Limits: fast})
	f.Cleanup(func() { _ = personal.Close(); _ = classroom.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, _, err := readConnect(bytes.NewReader(data), 64<<10)
		if err == nil && !bytes.HasPrefix(data, raw[:len(raw)-max(0, len(raw)-len(data))]) {
			t.Fatalf("replayed bytes differ from the input")
		}
		classroom.front.logins = loginGuard{} // every input comes from the same address: do not slow the fuzzer down
		// serve, not serveConn: a panic must reach the fuzzer.
		personal.front.serve(&memConn{r: bytes.NewReader(data)}, TransportTCP)
		classroom.front.serve(&memConn{r: bytes.NewReader(data)}, TransportTCP)
		if logged := errs.take(); len(logged) > 0 {
			t.Fatalf("errors logged (a recovered panic?): %q", logged)
		}
	})
}
