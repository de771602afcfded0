package labs_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// startBareMochi serves a bare mochi broker (every client let in) on a free
// loopback port for the contract tests, each connection handed over with
// EstablishConnection as the front does; wrap, when set, stands between.
func startBareMochi(t *testing.T, wrap func(net.Conn) net.Conn) (*mqtt.Server, string) {
	t.Helper()
	server := mqtt.New(&mqtt.Options{InlineClient: true, Logger: labtest.QuietLogger()})
	if err := server.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close(); _ = server.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if wrap != nil {
				conn = wrap(conn)
			}
			go func() { _ = server.EstablishConnection("contract", conn) }()
		}
	}()
	return server, ln.Addr().String()
}

// allowAll lets every client in, for a bare mochi broker.
type allowAll struct{ mqtt.HookBase }

func (allowAll) ID() string { return "allow-all" }
func (allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (allowAll) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }

func rawSubscribe(id uint16, filter string, qos byte) packets.Packet {
	return packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: id,
		Filters: packets.Subscriptions{{Filter: filter, Qos: qos}}}
}

// readType reads packets until one of type typ arrives, failing on an error.
func readType(t *testing.T, c *labtest.Raw, typ byte) packets.Packet {
	t.Helper()
	for {
		pk, err := c.Read()
		if err != nil {
			t.Fatalf("waiting for %s: %v", packets.PacketNames[typ], err)
		}
		if pk.FixedHeader.Type == typ {
			return pk
		}
	}
}

// TestResumedSessionGetsQueuedMessagesFreshAndItsResubscribeGranted: the
// course's persistent-session exercise, packet by packet, in MQTT 3.1.1 and
// 5, as mosquitto_sub -c does it: subscribe with packet id 1, leave, messages
// are queued, come back and subscribe again with packet id 1 before acking
// anything. Each queued message arrives once with DUP=0 (it was never sent),
// and the SUBSCRIBE is granted (mochi alone answers 0x91 "packet identifier
// in use", see TestMochiContractResumedSessionCollidesWithClientIDs).
func TestResumedSessionGetsQueuedMessagesFreshAndItsResubscribeGranted(t *testing.T) {
	l, addr := personal(t)
	for _, v := range []byte{4, 5} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			id := fmt.Sprintf("dashboard-v%d", v)
			topic := "devices/ESPDEVICE/sensors/TC/value/" + id
			connect := labtest.RawConnect(v, id, "", "", false)
			if v == 5 {
				connect.Properties.SessionExpiryInterval, connect.Properties.SessionExpiryIntervalFlag = 300, true
			}
			c, _ := labtest.RawDial(t, addr, connect)
			c.Send(t, rawSubscribe(1, topic, 1))
			if sa := readType(t, c, packets.Suback); sa.ReasonCodes[0] != 1 {
				t.Fatalf("first SUBACK %x, want granted QoS 1", sa.ReasonCodes)
			}
			c.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
			_ = c.Close()
			labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool {
				return e.Kind == labs.KindDisconnect && e.ClientID == id
			})

			sb := l.Lookup(labs.PersonalLearner)
			for _, p := range []string{`{"value": 30}`, `{"value": 31}`} {
				if err := sb.Publish(topic, []byte(p), 1, false); err != nil {
					t.Fatal(err)
				}
			}

			back, ack := labtest.RawDial(t, addr, connect)
			if !ack.SessionPresent {
				t.Fatal("CONNACK session present = false, want true")
			}
			back.Send(t, rawSubscribe(1, topic, 1))
			var got []string
			for len(got) < 2 {
				pk := readType(t, back, packets.Publish)
				if pk.FixedHeader.Dup {
					t.Errorf("queued %s arrived with DUP=1 on its first delivery", pk.Payload)
				}
				got = append(got, string(pk.Payload))
			}
			if got[0] != `{"value": 30}` || got[1] != `{"value": 31}` {
				t.Errorf("queued messages %q, want both in publish order", got)
			}
			if sa := readType(t, back, packets.Suback); sa.PacketID != 1 || len(sa.ReasonCodes) != 1 || sa.ReasonCodes[0] != 1 {
				t.Errorf("re-SUBSCRIBE: SUBACK id %d codes %x, want id 1 granted QoS 1", sa.PacketID, sa.ReasonCodes)
			}
		})
	}
}

// TestResumedSessionResendsAnUnackedMessageAsDuplicate: a message that did
// go out and was never acknowledged is sent again with its packet id and
// DUP=1, as [MQTT-4.4.0-1] and [MQTT-3.3.1-1] require.
func TestResumedSessionResendsAnUnackedMessageAsDuplicate(t *testing.T) {
	l, addr := personal(t)
	connect := labtest.RawConnect(4, "no-acker", "", "", false)
	c, _ := labtest.RawDial(t, addr, connect)
	c.Send(t, rawSubscribe(1, "unacked", 1))
	readType(t, c, packets.Suback)
	if err := l.Lookup(labs.PersonalLearner).Publish("unacked", []byte("first"), 1, false); err != nil {
		t.Fatal(err)
	}
	first := readType(t, c, packets.Publish)
	if first.FixedHeader.Dup {
		t.Fatal("first delivery carries DUP=1")
	}
	_ = c.Close() // no PUBACK, no DISCONNECT
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool {
		return e.Kind == labs.KindDisconnect && e.ClientID == "no-acker"
	})

	back, _ := labtest.RawDial(t, addr, connect)
	again := readType(t, back, packets.Publish)
	if !again.FixedHeader.Dup || again.PacketID != first.PacketID || string(again.Payload) != "first" {
		t.Errorf("resent %q id %d dup %v, want %q id %d dup true", again.Payload, again.PacketID, again.FixedHeader.Dup,
			"first", first.PacketID)
	}
}

// TestMochiContractResumedSessionCollidesWithClientIDs pins the two mochi
// v2.7.9 defects sessionResumeHook works around, on a bare mochi broker: a
// message queued for an offline session is resent with DUP=1 on its first
// delivery, and a SUBSCRIBE whose packet id equals one of the broker's own
// outbound ids is refused with 0x91. If this test fails after a mochi
// upgrade, mochi changed here: re-read sessionResumeHook and drop what is no
// longer needed.
func TestMochiContractResumedSessionCollidesWithClientIDs(t *testing.T) {
	server, addr := startBareMochi(t, nil)

	connect := labtest.RawConnect(4, "contract", "", "", false)
	c, _ := labtest.RawDial(t, addr, connect)
	c.Send(t, rawSubscribe(1, "queued", 1))
	readType(t, c, packets.Suback)
	c.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
	_ = c.Close()
	deadline := time.Now().Add(labtest.Wait)
	for {
		if cl, ok := server.Clients.Get("contract"); ok && cl.Closed() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first connection never closed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := server.Publish("queued", []byte("while away"), false, 1); err != nil {
		t.Fatal(err)
	}

	back, _ := labtest.RawDial(t, addr, connect)
	back.Send(t, rawSubscribe(1, "queued", 1))
	if pk := readType(t, back, packets.Publish); !pk.FixedHeader.Dup || pk.PacketID != 1 {
		t.Errorf("mochi resent a never-sent queued message with id %d DUP=%v; it used to send id 1 with DUP=1",
			pk.PacketID, pk.FixedHeader.Dup)
	}
	if sa := readType(t, back, packets.Suback); len(sa.ReasonCodes) != 1 || sa.ReasonCodes[0] != packets.ErrPacketIdentifierInUse.Code {
		t.Errorf("mochi answered a SUBSCRIBE colliding with its own outbound id with %x; it used to refuse it with 0x91",
			sa.ReasonCodes)
	}
}
