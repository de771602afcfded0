package labs_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// closedWithin asserts the server closes conn within d, after sending data.
func closedWithin(t *testing.T, addr string, data []byte, d time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(d + 2*time.Second))
	n, err := io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) { // a reset (unread input) is a close too
		t.Fatalf("not closed by the server (read %d bytes): %v", n, err)
	}
	if el := time.Since(start); el > d+time.Second {
		t.Fatalf("closed after %v, want about %v", el, d)
	}
}

func TestFrontClosesBadFirstPackets(t *testing.T) {
	// A short CONNECT timeout, which this test is about: long enough for the
	// well-formed client below to connect within it on a busy machine.
	const connectTimeout = 500 * time.Millisecond
	l := labtest.NewLabs(t, labs.Config{ConnectTimeout: connectTimeout})
	addr := labtest.StartFront(t, l)
	cases := map[string][]byte{
		"garbage":                []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"half CONNECT, silence":  {0x10, 0x20, 0x00, 0x04, 'M', 'Q'},
		"huge remaining length":  {0x10, 0xff, 0xff, 0xff, 0x7f},
		"bad varint":             {0x10, 0xff, 0xff, 0xff, 0xff, 0x01},
		"CONNECT too short":      {0x10, 0x02, 0x00, 0x00},
		"PUBLISH before CONNECT": {0x30, 0x05, 0x00, 0x01, 'a', 'h', 'i'},
		"nothing at all":         {},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) { closedWithin(t, addr, data, connectTimeout) })
	}
	// The front still serves well-formed clients.
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "after", CleanStart: true})
	c.Sub(t, "ok", 0)
	c.Pub(t, "ok", "fine", 0, false)
	c.Next(t)
	_ = l
}

func TestOversizedPacketAfterConnectDisconnectsOnlyThatClient(t *testing.T) {
	_, addr := personal(t)
	other := labtest.MustDial(t, addr, &paho.Connect{ClientID: "other", CleanStart: true})
	other.Sub(t, "big", 0)
	big := labtest.MustDial(t, addr, &paho.Connect{ClientID: "big", CleanStart: true})
	_, _ = big.Publish(t.Context(), &paho.Publish{Topic: "big", Payload: bytes.Repeat([]byte("x"), 70<<10)})
	select {
	case <-big.Done():
	case <-time.After(labtest.Wait):
		t.Fatal("client sending a packet over 64 KiB was not disconnected")
	}
	other.None(t, 200*time.Millisecond)
	other.Pub(t, "big", "small", 0, false)
	other.Next(t)
}

func TestPublishFloodIsSlowedDownNotDropped(t *testing.T) {
	const rate, burst, n = 400, 50, 300
	l := labtest.NewLabs(t, labs.Config{Classroom: true, Limits: labs.Limits{PublishRate: rate, PublishBurst: burst}})
	addr := labtest.StartFront(t, l)
	dial := func(learner, id string) *labtest.Client {
		cr := l.Credentials(learner)
		return labtest.MustDial(t, addr, &paho.Connect{ClientID: id, CleanStart: true,
			UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)})
	}
	sub := dial("flood", "watcher")
	sub.Sub(t, "spam", 0)
	flooder := dial("flood", "flooder")
	start := time.Now()
	for i := 0; i < n; i++ {
		if rc := flooder.Pub(t, "spam", "x", 0, false); rc != 0 {
			t.Fatalf("publish %d refused: %#x", i, rc)
		}
	}
	for i := 0; i < n; i++ {
		sub.Next(t) // every one arrives: delayed, never dropped
	}
	if took, least := time.Since(start), time.Duration(n-burst)*time.Second/rate; took < least*8/10 {
		t.Fatalf("%d publishes went through in %v: the rate (%d/s after a burst of %d) needs at least %v", n, took, rate, burst, least)
	}
	labtest.WaitEvent(t, l.Lookup("flood"), func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "publish-rate" })
	// Another learner is not affected.
	calm := dial("calm", "calm")
	calm.Sub(t, "hello", 1)
	if rc := calm.Pub(t, "hello", "hi", 1, false); rc != 0 {
		t.Fatalf("other sandbox refused: %#x", rc)
	}
	calm.Next(t)
}
