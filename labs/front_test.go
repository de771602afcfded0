package labs_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

func personal(t *testing.T) (*labs.Labs, string) {
	t.Helper()
	l := labtest.NewLabs(t, labs.Config{})
	return l, labtest.StartFront(t, l)
}

func TestPersonalModeQoS0And1AndRetained(t *testing.T) {
	l, addr := personal(t)
	sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sub", CleanStart: true})
	sub.Sub(t, "devices/#", 1)
	pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	pub.Pub(t, "devices/ESPDEVICE/sensors/TC/value", `{"value":22}`, 0, false)
	if m := sub.Next(t); string(m.Payload) != `{"value":22}` {
		t.Fatalf("got %s", m.Payload)
	}
	if rc := pub.Pub(t, "devices/x", "one", 1, true); rc != 0 {
		t.Fatalf("puback reason %#x", rc)
	}
	if m := sub.Next(t); m.QoS != 1 || string(m.Payload) != "one" {
		t.Fatalf("got qos %d %s", m.QoS, m.Payload)
	}
	late := labtest.MustDial(t, addr, &paho.Connect{ClientID: "late", CleanStart: true})
	late.Sub(t, "devices/x", 1)
	if m := late.Next(t); !m.Retain || string(m.Payload) != "one" {
		t.Fatalf("retained: got retain=%v %s", m.Retain, m.Payload)
	}
	// A learner's MQTT publish on a sensor topic updates the cloud model.
	p, err := l.Lookup(labs.PersonalLearner).Cloud().Point(labs.Sensors, "ESPDEVICE", "TC")
	if err != nil || p.Value == nil || p.Value.Value.(interface{ String() string }).String() != "22" {
		t.Fatalf("cloud not updated from MQTT: %+v %v", p.Value, err)
	}
}

func TestQoS2DeliveredExactlyOnce(t *testing.T) {
	l, addr := personal(t)
	sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sub2", CleanStart: true})
	sub.Sub(t, "q2", 2)
	pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub2", CleanStart: true})
	if rc := pub.Pub(t, "q2", "exactly", 2, false); rc != 0 {
		t.Fatalf("qos2 reason %#x", rc)
	}
	if m := sub.Next(t); m.QoS != 2 || string(m.Payload) != "exactly" {
		t.Fatalf("got qos %d %s", m.QoS, m.Payload)
	}
	sub.None(t, 300*time.Millisecond)
	sb := l.Lookup(labs.PersonalLearner)
	// Both exchanges end in PUBCOMP, folded into their publish and delivery.
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindDeliver && e.ClientID == "sub2" && e.Message().Ack == "PUBCOMP"
	})
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindPublish && e.ClientID == "pub2" && e.Message().Ack == "PUBCOMP"
	})
}

func TestQoS1AcksAreFoldedIntoTheirPublishAndDelivery(t *testing.T) {
	l, addr := personal(t)
	sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sub1", CleanStart: true})
	sb := l.Lookup(labs.PersonalLearner)
	live := sb.Journal().Subscribe(t.Context())
	sub.Sub(t, "q1", 1)
	pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub1", CleanStart: true})
	if rc := pub.Pub(t, "q1", "once", 1, false); rc != 0 {
		t.Fatalf("qos1 reason %#x", rc)
	}
	sub.Next(t)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindDeliver && e.ClientID == "sub1" && e.Message().Ack == "PUBACK"
	})
	var publish, deliver int
	for _, e := range sb.Journal().Since(0) {
		m := e.Message()
		switch {
		case e.Kind == labs.KindAck:
			t.Fatalf("a PUBACK that refused nothing is a line of its own: %+v", e.Ack())
		case e.Kind == labs.KindPublish && e.ClientID == "pub1":
			publish++
			if m.Ack != "PUBACK" || m.PacketID == 0 || m.AckedAt.Before(e.Time) {
				t.Fatalf("publish exchange %+v at %v", m, e.Time)
			}
		case e.Kind == labs.KindDeliver && e.ClientID == "sub1":
			deliver++
		}
	}
	if publish != 1 || deliver != 1 {
		t.Fatalf("%d publishes and %d deliveries journalled, want one of each", publish, deliver)
	}
	// A live subscriber saw the delivery first without its PUBACK, then again, revised.
	var first, revised bool
	timeout := time.After(labtest.Wait)
	for !revised {
		var e labs.Event
		select {
		case e = <-live:
		case <-timeout:
			t.Fatal("no revised delivery on the live subscription")
		}
		if e.Kind != labs.KindDeliver {
			continue
		}
		if !e.Revised {
			first = e.Message().Ack == ""
		} else {
			revised = first && e.Message().Ack == "PUBACK"
			if !revised {
				t.Fatalf("revision %+v (first without ack: %v)", e.Message(), first)
			}
		}
	}
}

func TestWillDeliveredAfterUngracefulCloseOnly(t *testing.T) {
	l, addr := personal(t)
	watcher := labtest.MustDial(t, addr, &paho.Connect{ClientID: "watcher", CleanStart: true})
	watcher.Sub(t, "status/#", 1)
	will := func(id string) *paho.Connect {
		return &paho.Connect{ClientID: id, CleanStart: true,
			WillMessage: &paho.WillMessage{Topic: "status/" + id, Payload: []byte("gone"), QoS: 1}}
	}
	polite := labtest.MustDial(t, addr, will("polite"))
	if err := polite.Disconnect(&paho.Disconnect{ReasonCode: 0}); err != nil {
		t.Fatal(err)
	}
	rude := labtest.MustDial(t, addr, will("rude"))
	_ = rude.Conn.Close()
	m := watcher.Next(t)
	if m.Topic != "status/rude" || string(m.Payload) != "gone" {
		t.Fatalf("got %s %s", m.Topic, m.Payload)
	}
	watcher.None(t, 300*time.Millisecond)
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool { return e.Kind == labs.KindWill && e.ClientID == "rude" })
}

func TestPersistentSessionReceivesWhatWasPublishedWhileAway(t *testing.T) {
	l, addr := personal(t)
	expiry := uint32(300)
	cp := func() *paho.Connect {
		return &paho.Connect{ClientID: "keeper", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}}
	}
	c := labtest.MustDial(t, addr, cp())
	c.Sub(t, "news", 1)
	_ = c.Disconnect(&paho.Disconnect{})
	if err := l.Lookup(labs.PersonalLearner).Publish("news", []byte("while away"), 1, false); err != nil {
		t.Fatal(err)
	}
	c2, ca, err := labtest.Dial(t, addr, cp())
	if err != nil || !ca.SessionPresent {
		t.Fatalf("reconnect: %v, session present %v", err, ca != nil && ca.SessionPresent)
	}
	if m := c2.Next(t); string(m.Payload) != "while away" {
		t.Fatalf("got %s", m.Payload)
	}
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool { return e.Kind == labs.KindSessionResumed && e.ClientID == "keeper" })
}

func TestMQTT3PersistentSessionAndProtocol31(t *testing.T) {
	_, addr := personal(t)
	for _, v := range []byte{3, 4} {
		id := "v3-" + string('0'+v)
		c, ack := labtest.RawDial(t, addr, labtest.RawConnect(v, id, "", "", false))
		if ack.FixedHeader.Type != packets.Connack || ack.ReasonCode != 0 {
			t.Fatalf("v%d: connack %+v", v, ack)
		}
		c.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
			Filters: packets.Subscriptions{{Filter: "away/" + id, Qos: 1}}})
		if sa, err := c.Read(); err != nil || sa.FixedHeader.Type != packets.Suback {
			t.Fatalf("v%d: suback %v %+v", v, err, sa)
		}
		c.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
		_ = c.Close()
		pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "p" + id, CleanStart: true})
		pub.Pub(t, "away/"+id, "queued", 1, false)
		c2, ack2 := labtest.RawDial(t, addr, labtest.RawConnect(v, id, "", "", false))
		if !ack2.SessionPresent {
			t.Fatalf("v%d: session not present", v)
		}
		m, err := c2.Read()
		if err != nil || string(m.Payload) != "queued" {
			t.Fatalf("v%d: got %v %q", v, err, m.Payload)
		}
	}
}

func TestClassroomLearnersAreIsolated(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	addr := labtest.StartFront(t, l)
	a, b := l.Credentials("alice"), l.Credentials("bob")
	dial := func(id string, cr labs.Credentials) *labtest.Client {
		return labtest.MustDial(t, addr, &paho.Connect{ClientID: id, CleanStart: true,
			UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)})
	}
	ca, cb := dial("same-id", a), dial("same-id", b)
	ca.Sub(t, "devices/#", 0)
	cb.Sub(t, "devices/#", 0)
	cb.Pub(t, "devices/ESPDEVICE/sensors/TC/value", "from bob", 0, false)
	if m := cb.Next(t); string(m.Payload) != "from bob" {
		t.Fatal(string(m.Payload))
	}
	ca.None(t, 300*time.Millisecond)
	if l.Lookup("alice") == l.Lookup("bob") {
		t.Fatal("one sandbox for two learners")
	}
}

func TestClassroomRefusesAnonymousAndWrongPassword(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	addr := labtest.StartFront(t, l)
	cases := []struct {
		name       string
		user, pass string
		v3, v5     byte
	}{
		{"anonymous", "", "", 0x05, 0x87},
		{"wrong password", "alice", "nope", 0x04, 0x86},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []byte{3, 4} {
				_, ack := labtest.RawDial(t, addr, labtest.RawConnect(v, "x", tc.user, tc.pass, true))
				if ack.ReasonCode != tc.v3 {
					t.Errorf("v%d: CONNACK %#x, want %#x", v, ack.ReasonCode, tc.v3)
				}
			}
			cp := &paho.Connect{ClientID: "x", CleanStart: true}
			if tc.user != "" {
				cp.UsernameFlag, cp.Username, cp.PasswordFlag, cp.Password = true, tc.user, true, []byte(tc.pass)
			}
			_, ca, err := labtest.Dial(t, addr, cp)
			if err == nil || ca == nil || ca.ReasonCode != tc.v5 {
				t.Errorf("v5: err %v connack %+v, want %#x", err, ca, tc.v5)
			}
		})
	}
}

func TestMQTTOverWebSocket(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	srv := httptest.NewServer(l.Front())
	t.Cleanup(srv.Close)
	dialWS := func(id string) *labtest.Client {
		ctx, cancel := context.WithTimeout(context.Background(), labtest.Wait)
		defer cancel()
		ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/mqtt", &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Sec-WebSocket-Protocol") != "mqtt" {
			t.Fatalf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
		}
		c, _, err := labtest.Over(t, labtest.SerialisedWrites(websocket.NetConn(context.Background(), ws, websocket.MessageBinary)), &paho.Connect{ClientID: id, CleanStart: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sub, pub := dialWS("ws-sub"), dialWS("ws-pub")
	sub.Sub(t, "devices/#", 1)
	pub.Pub(t, "devices/ESPDEVICE/actuators/LED/value", "true", 1, false)
	if m := sub.Next(t); string(m.Payload) != "true" {
		t.Fatal(string(m.Payload))
	}
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool {
		return e.Kind == labs.KindConnect && e.Connect().Transport == labs.TransportWS
	})
}

func TestClientsPerSandboxLimit(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{Clients: 2}})
	addr := labtest.StartFront(t, l)
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "c1", CleanStart: true})
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "c2", CleanStart: true})
	if _, ca, err := labtest.Dial(t, addr, &paho.Connect{ClientID: "c3", CleanStart: true}); err == nil || ca == nil || ca.ReasonCode != 0x97 {
		t.Fatalf("v5: %v %+v", err, ca)
	}
	if _, ack := labtest.RawDial(t, addr, labtest.RawConnect(4, "c4", "", "", true)); ack.ReasonCode != 0x03 {
		t.Fatalf("v3: %#x", ack.ReasonCode)
	}
	labtest.WaitEvent(t, l.Lookup(labs.PersonalLearner), func(e labs.Event) bool { return e.Kind == labs.KindLimit && e.Limit().Limit == "clients" })
}

func TestSubscriptionCap(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{Subscriptions: 2}})
	addr := labtest.StartFront(t, l)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "subs", CleanStart: true})
	c.Sub(t, "a", 0)
	c.Sub(t, "b", 0)
	if rc := c.Sub(t, "c", 0); len(rc) != 1 || rc[0] != 0x97 {
		t.Fatalf("third subscription: %v", rc)
	}
	if rc := c.Sub(t, "a", 1); rc[0] != 1 {
		t.Fatalf("re-subscribing an existing filter must work: %v", rc)
	}
	c.Pub(t, "c", "x", 0, false)
	c.None(t, 200*time.Millisecond)
	_ = l
}
