package labs_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// Protocol edges of issue 9: what a standard client expects of the broker.

// personalLab is a personal-mode lab with the default CONNECT timeout (the
// 200 ms of personal() is for the bad-input tests), so that these tests hold
// on a busy machine.
func personalLab(t *testing.T) (*labs.Labs, string) {
	t.Helper()
	l := labtest.NewLabs(t, labs.Config{})
	return l, labtest.StartFront(t, l)
}

func TestNewSubscriberGetsEveryRetainedMessage(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	const want = 1000
	for i := 0; i < want; i++ {
		if err := sb.Publish(fmt.Sprintf("r/%d", i), []byte("v"), 0, true); err != nil {
			t.Fatal(err)
		}
	}
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "late", CleanStart: true})
	c.Sub(t, "r/#", 0)
	got := 0
	for got < want {
		select {
		case <-c.Msgs:
			got++
		case <-time.After(2 * time.Second):
			t.Fatalf("a new subscriber got %d of %d retained messages", got, want)
		}
	}
}

func TestSysTopicsShowNothingOfTheProcess(t *testing.T) {
	_, addr := personalLab(t)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sys", CleanStart: true})
	c.Sub(t, "$SYS/#", 0)
	seen := map[string]bool{}
	deadline := time.After(time.Second)
	for wait := true; wait; {
		select {
		case m := <-c.Msgs:
			seen[m.Topic] = true
		case <-deadline:
			wait = false
		}
	}
	if !seen["$SYS/broker/clients/connected"] {
		t.Fatalf("no $SYS figures of the sandbox itself: %v", seen)
	}
	for topic := range seen {
		if strings.HasPrefix(topic, "$SYS/broker/system/") {
			t.Errorf("%s shows the whole server's figures to a sandbox", topic)
		}
	}
}

func TestFillingTheReceiveMaximumGetsTheStandardDisconnect(t *testing.T) {
	l, addr := personalLab(t)
	r, ack := labtest.RawDial(t, addr, labtest.RawConnect(5, "window", "", "", true))
	rm := ack.Properties.ReceiveMaximum
	if rm == 0 || int(rm) > l.Config().Limits.PublishBurst {
		t.Fatalf("Receive Maximum %d announced, publish burst %d: a client filling its window would be slowed", rm, l.Config().Limits.PublishBurst)
	}
	var out bytes.Buffer
	for id := 1; id <= int(rm)+1; id++ { // QoS 2, never PUBREL: each holds a slot of the window
		out.Write(labtest.Encode(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 2},
			ProtocolVersion: 5, TopicName: "w", PacketID: uint16(id), Payload: []byte("x")}))
	}
	if _, err := r.Write(out.Bytes()); err != nil {
		t.Fatal(err)
	}
	pubrecs := 0
	for {
		pk, err := r.Read()
		if err != nil {
			t.Fatalf("after %d PUBRECs: %v; want DISCONNECT 0x93", pubrecs, err)
		}
		switch pk.FixedHeader.Type {
		case packets.Pubrec:
			if pk.ReasonCode != 0 {
				t.Fatalf("PUBREC %d with reason %#x, want a DISCONNECT 0x93 once the window of %d is full", pubrecs+1, pk.ReasonCode, rm)
			}
			pubrecs++
		case packets.Disconnect:
			if pk.ReasonCode != packets.ErrReceiveMaximum.Code || pubrecs != int(rm) {
				t.Fatalf("DISCONNECT %#x after %d PUBRECs, want 0x93 after %d", pk.ReasonCode, pubrecs, rm)
			}
			return
		}
	}
}

func TestAcksDoNotEchoThePublishersUserProperties(t *testing.T) {
	_, addr := personalLab(t)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "props", CleanStart: true})
	r, err := c.Publish(t.Context(), &paho.Publish{Topic: "p", QoS: 1, Payload: []byte("x"),
		Properties: &paho.PublishProperties{User: paho.UserProperties{{Key: "secret", Value: "mine"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Properties != nil && len(r.Properties.User) > 0 {
		t.Fatalf("PUBACK echoes the publisher's user properties: %v", r.Properties.User)
	}
}

func TestConnackAnnouncesMaximumPacketSizeAndBiggerGetsDisconnect0x95(t *testing.T) {
	l, addr := personalLab(t)
	_, ca, err := labtest.Dial(t, addr, &paho.Connect{ClientID: "size", CleanStart: true})
	if err != nil {
		t.Fatal(err)
	}
	limit := uint32(l.Config().Limits.PacketSize)
	if ca.Properties == nil || ca.Properties.MaximumPacketSize == nil || *ca.Properties.MaximumPacketSize != limit {
		t.Fatalf("CONNACK does not announce the Maximum Packet Size %d: %+v", limit, ca.Properties)
	}
	r, _ := labtest.RawDial(t, addr, labtest.RawConnect(5, "big", "", "", true))
	r.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: "big",
		Payload: bytes.Repeat([]byte("x"), int(limit))})
	pk, err := r.Read()
	if err != nil || pk.FixedHeader.Type != packets.Disconnect || pk.ReasonCode != packets.ErrPacketTooLarge.Code {
		t.Fatalf("after a packet over %d bytes: %+v, %v; want DISCONNECT 0x95", limit, pk.FixedHeader, err)
	}
	if !strings.Contains(pk.Properties.ReasonString, "64 KiB") {
		t.Fatalf("reason %q does not say the limit", pk.Properties.ReasonString)
	}
}

// TestPacketSizeLimitIsTheSameInTheFrontAndInMochi pins a reliance on mochi:
// meteredConn sends DISCONNECT 0x95 for exactly the packets mochi's
// ReadFixedHeader refuses (remaining length + 1 over MaximumPacketSize), so
// a packet one byte below is delivered and one at the limit is refused.
func TestPacketSizeLimitIsTheSameInTheFrontAndInMochi(t *testing.T) {
	l, addr := personalLab(t)
	limit := l.Config().Limits.PacketSize
	sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sub", CleanStart: true})
	sub.Sub(t, "t", 0)
	publish := func(remaining int) *labtest.Raw {
		r, _ := labtest.RawDial(t, addr, labtest.RawConnect(5, fmt.Sprint("edge", remaining), "", "", true))
		// remaining = topic (2+1) + properties length (1) + payload, at QoS 0
		r.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: "t",
			Payload: bytes.Repeat([]byte("x"), remaining-4)})
		return r
	}
	publish(limit - 1)
	if m := sub.Next(t); len(m.Payload) != limit-5 {
		t.Fatalf("got %d bytes, want the packet just under the limit delivered", len(m.Payload))
	}
	r := publish(limit)
	pk, err := r.Read()
	if err != nil || pk.FixedHeader.Type != packets.Disconnect || pk.ReasonCode != packets.ErrPacketTooLarge.Code {
		t.Fatalf("a packet at the limit: %+v, %v; want DISCONNECT 0x95", pk.FixedHeader, err)
	}
	sub.None(t, 100*time.Millisecond)
}
