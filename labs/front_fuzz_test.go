package labs

import (
	"bytes"
	"io"
	"log/slog"
	"net"
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
		f.Add(append(b, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x01)) // CONNECT then a pipelined SUBSCRIBE
	}
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte("garbage"))

	quiet := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	personal := New(Config{Logger: quiet, ConnectTimeout: time.Second})
	classroom := New(Config{Classroom: true, Logger: quiet, Secret: []byte("s"), ConnectTimeout: time.Second})
	f.Cleanup(func() { _ = personal.Close(); _ = classroom.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, pk, err := readConnect(bytes.NewReader(data), 64<<10)
		if err == nil && !bytes.HasPrefix(data, raw[:len(raw)-max(0, len(raw)-len(data))]) {
			t.Fatalf("replayed bytes differ from the input")
		}
		_ = pk
		personal.front.serveConn(&memConn{r: bytes.NewReader(data)}, TransportTCP)
		classroom.front.serveConn(&memConn{r: bytes.NewReader(data)}, TransportTCP)
	})
}
