package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"
)

// rawConnect is the bytes of a CONNECT with a clean session.
func rawConnect(t *testing.T, version byte, clientID string) []byte {
	t.Helper()
	name := "MQTT"
	if version == 3 {
		name = "MQIsdp"
	}
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: version,
		Connect: packets.ConnectParams{ProtocolName: []byte(name), Clean: true, Keepalive: 30, ClientIdentifier: clientID}}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// dialRaw opens a plain TCP connection to the MQTT port.
func dialRaw(t *testing.T, srv *server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.MQTT, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads until the server closes c, failing the test if it is
// still open after d; it returns what the server sent before closing.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	var got bytes.Buffer
	_, err := io.Copy(&got, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v (server sent % x)", d, got.Bytes())
	}
	return got.Bytes()
}

// roundTrip proves the broker still works: an MQTT 5 client gets its own
// QoS 1 message back.
func roundTrip(t *testing.T, srv *server, id string, auth ...string) {
	t.Helper()
	cp := &paho.Connect{ClientID: id, CleanStart: true}
	if len(auth) == 2 {
		cp.UsernameFlag, cp.Username, cp.PasswordFlag, cp.Password = true, auth[0], true, []byte(auth[1])
	}
	c, _ := mustV5(t, srv.MQTT, cp, nil)
	c.subscribe(t, "e2e/alive/"+id, 1)
	c.publish(t, "e2e/alive/"+id, "still here", 1, false)
	if m := c.next(t, 5*time.Second); string(m.Payload) != "still here" {
		t.Errorf("round trip got %q", m.Payload)
	}
	_ = c.Disconnect(&paho.Disconnect{})
}

// TestMQTTPortClosesBadFirstPacketsAndStaysHealthy: bytes that are not an
// MQTT CONNECT, or a CONNECT announcing more than the packet size limit,
// are closed at once (well before the connect timeout); so is a client that
// announces a huge packet after connecting. The server stays healthy and
// keeps serving MQTT.
func TestMQTTPortClosesBadFirstPacketsAndStaysHealthy(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"an HTTP request", []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")},
		{"garbage bytes", []byte{0x00, 0xde, 0xad, 0xbe, 0xef, 0xff, 0x13, 0x37}},
		{"a PUBLISH before CONNECT", []byte{0x30, 0x07, 0x00, 0x01, 'a', 'h', 'e', 'l', 'o'}},
		{"a CONNECT of 256 MiB", []byte{0x10, 0xff, 0xff, 0xff, 0x7f}},
		{"a remaining length of five bytes", []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"a CONNECT with a bad protocol name", []byte{0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'X', 'X', 0x04, 0x02, 0x00, 0x1e, 0x00, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			if _, err := c.Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			closedWithin(t, c, 3*time.Second)
		})
	}

	for _, v := range []byte{4, 5} {
		t.Run("a 256 MiB PUBLISH after CONNECT, MQTT "+map[byte]string{4: "3.1.1", 5: "5"}[v], func(t *testing.T) {
			c := dialRaw(t, srv)
			if _, err := c.Write(rawConnect(t, v, "huge")); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			ack := make([]byte, 2)
			if _, err := io.ReadFull(c, ack); err != nil || ack[0] != packets.Connack<<4 {
				t.Fatalf("no CONNACK: % x %v", ack, err)
			}
			if _, err := c.Write([]byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 'a'}); err != nil {
				t.Fatal(err)
			}
			closedWithin(t, c, 3*time.Second)
		})
	}

	srv.requireHealthy(t)
	roundTrip(t, srv, "after-bad-bytes")
}

// TestConnectionWithoutCONNECTIsClosedAfterTheConnectTimeout: a connection
// that sends nothing, or half a CONNECT, is closed after the connect
// timeout (10 s, the figure; the binary has no flag for it), and
// while such connections wait the broker serves everyone else.
func TestConnectionWithoutCONNECTIsClosedAfterTheConnectTimeout(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	full := rawConnect(t, 4, "slow")
	start := time.Now()
	var wg sync.WaitGroup
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{{"silent", nil}, {"half a CONNECT", full[:len(full)/2]}} {
		c := dialRaw(t, srv)
		if _, err := c.Write(tc.bytes); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			closedWithin(t, c, 14*time.Second)
			if d := time.Since(start); d < 9*time.Second || d > 13*time.Second {
				t.Errorf("%s connection closed after %v, want about 10 s", tc.name, d.Round(100*time.Millisecond))
			}
		})
	}
	roundTrip(t, srv, "while-others-stall")
	wg.Wait()
	srv.requireHealthy(t)
}

// TestPublishFloodHitsTheRateLimitWithoutAffectingOtherLearners: a learner
// who publishes far beyond the limit (100/s, burst 300) over MQTT is slowed
// down (the broker reads the flooder's publishes at the rate: nothing is
// refused or dropped), and gets 429 JSON from the REST API; another
// learner's MQTT and REST traffic goes through meanwhile, and the flooder
// recovers once the rate drops.
func TestPublishFloodHitsTheRateLimitWithoutAffectingOtherLearners(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada, bob := srv.join(t, "Ada"), srv.join(t, "Bob")
	login := func(l *learner, id string) *paho.Connect {
		return &paho.Connect{ClientID: id, CleanStart: true, UsernameFlag: true, Username: l.Lab.Username,
			PasswordFlag: true, Password: []byte(l.Lab.Password)}
	}
	bobSub, _ := mustV5(t, srv.MQTT, login(bob, "bob-sub"), nil)
	bobSub.subscribe(t, "e2e/flood", 1)
	bobPub, _ := mustV5(t, srv.MQTT, login(bob, "bob-pub"), nil)
	flooder, _ := mustV5(t, srv.MQTT, login(ada, "flooder"), nil)

	const flood, rate, burst = 400, 100, 300
	start := time.Now()
	for i := range flood {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := flooder.Publish(ctx, &paho.Publish{Topic: "e2e/flood", Payload: []byte("flood"), QoS: 1})
		cancel()
		switch {
		case err != nil:
			t.Fatalf("flood publish %d: %v; want it delayed, not dropped", i, err)
		case resp.ReasonCode >= 0x80:
			t.Fatalf("flood publish %d refused with 0x%02x; want it delayed", i, resp.ReasonCode)
		}
	}
	took, least := time.Since(start), time.Duration(flood-burst)*time.Second/rate
	t.Logf("flood: %d publishes accepted in %v", flood, took)
	if took < least*8/10 {
		t.Errorf("%d publishes as fast as possible went through in %v; the rate needs at least %v", flood, took, least)
	}

	status, body := 0, []byte(nil)
	for range 300 {
		if status, body = srv.post(t, seedPath, ada.Lab.Token, seedBody); status == http.StatusTooManyRequests {
			break
		}
	}
	checkJSONError(t, "REST flood", status, body, http.StatusTooManyRequests)

	// Bob, meanwhile, is unaffected.
	bobPub.publish(t, "e2e/flood", "bob's", 1, false)
	if m := bobSub.next(t, 5*time.Second); string(m.Payload) != "bob's" {
		t.Errorf("Bob's subscriber got %q, want only Bob's message", m.Payload)
	}
	bobSub.quiet(t, 200*time.Millisecond)
	if status, body := srv.post(t, seedPath, bob.Lab.Token, seedBody); status != http.StatusOK {
		t.Errorf("Bob's POST during Ada's flood: %d %s", status, body)
	}
	srv.requireHealthy(t)

	// Ada recovers once the rate drops.
	time.Sleep(300 * time.Millisecond)
	roundTrip(t, srv, "ada-after-flood", ada.Lab.Username, ada.Lab.Password)
}

// TestBadRESTBodiesGetAJSONErrorWithAMessage: malformed, empty, doubled and
// oversized bodies, and unknown devices or sensors, get 400, 404 or 413
// with a JSON message that says what to send instead.
func TestBadRESTBodiesGetAJSONErrorWithAMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	for _, tc := range []struct {
		name, path, body string
		status           int
		mention          string // a word the message must contain, lower case; "" for any
	}{
		{"truncated JSON", seedPath, `{ "value": `, http.StatusBadRequest, "json"},
		{"single quotes", seedPath, `{ 'value': 25}`, http.StatusBadRequest, "json"},
		{"empty body", seedPath, ``, http.StatusBadRequest, "value"},
		{"two JSON values", seedPath, `{"value": 1} {"value": 2}`, http.StatusBadRequest, ""},
		{"body over 64 KiB", seedPath, `{"value": "` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, ""},
		{"unknown sensor", "/api/v2/devices/ESPDEVICE/sensors/NOPE/value", seedBody, http.StatusNotFound, "tc"},
		{"unknown device", "/api/v2/devices/NODEVICE/sensors/TC/value", seedBody, http.StatusNotFound, "espdevice"},
		{"device id with spaces", "/api/v2/devices", `{"id": "my device"}`, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := srv.post(t, tc.path, "", tc.body)
			msg := checkJSONError(t, "POST "+tc.path, status, body, tc.status)
			if !strings.Contains(strings.ToLower(msg), tc.mention) {
				t.Errorf("message %q does not mention %q", msg, tc.mention)
			}
		})
	}
	srv.requireHealthy(t)
}

// TestSeventeenthClientOfASandboxIsRefusedOthersStillConnect: a sandbox
// takes 16 MQTT clients; the next one gets CONNACK 0x97 (quota exceeded)
// with a reason string, while another learner still connects.
func TestSeventeenthClientOfASandboxIsRefusedOthersStillConnect(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada, bob := srv.join(t, "Ada"), srv.join(t, "Bob")
	login := func(l *learner, id string) *paho.Connect {
		return &paho.Connect{ClientID: id, CleanStart: true, UsernameFlag: true, Username: l.Lab.Username,
			PasswordFlag: true, Password: []byte(l.Lab.Password)}
	}
	for i := range 16 {
		mustV5(t, srv.MQTT, login(ada, "ada-"+string(rune('a'+i))), nil)
	}
	_, ack, err := dialV5(t, srv.MQTT, login(ada, "ada-17th"), nil)
	if err == nil {
		t.Fatal("a 17th client got in, want CONNACK 0x97")
	}
	if ack == nil || ack.ReasonCode != 0x97 {
		t.Errorf("17th client: %v, CONNACK %+v, want reason code 0x97", err, ack)
	} else if ack.Properties == nil || ack.Properties.ReasonString == "" {
		t.Errorf("CONNACK 0x97 without a reason string for the learner")
	}
	roundTrip(t, srv, "bob", bob.Lab.Username, bob.Lab.Password)
}
