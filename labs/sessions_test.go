package labs_test

import (
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

func TestSessionsAndRetainedShowTheLearnersClientsOnly(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	addr := labtest.StartFront(t, l)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	expiry := uint32(60)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "keeper", Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}})
	c.Sub(t, "devices/#", 1)
	c.Pub(t, "devices/ESPDEVICE/status", "online", 1, true)
	if err := sb.Publish("devices/ESPDEVICE/platform", []byte("x"), 0, true); err != nil {
		t.Fatal(err)
	}
	ss := sb.Sessions()
	if len(ss) != 1 || ss[0].ClientID != "keeper" || !ss[0].Connected || ss[0].Protocol != 5 || ss[0].Clean || ss[0].SessionExpiry != 60 ||
		len(ss[0].Subscriptions) != 1 || ss[0].Subscriptions[0] != (labs.Subscription{Filter: "devices/#", QoS: 1}) {
		t.Fatalf("sessions: %+v", ss)
	}
	_ = c.Conn.Close()
	for deadline := time.Now().Add(labtest.Wait); sb.Sessions()[0].Connected; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("session still connected")
		}
	}
	if ss := sb.Sessions(); len(ss) != 1 || len(ss[0].Subscriptions) != 1 {
		t.Fatalf("the offline session keeps its subscription: %+v", ss)
	}
	if m, ok := sb.Retained("devices/ESPDEVICE/status"); !ok || m.Platform || m.ClientID != "keeper" || string(m.Payload) != "online" {
		t.Fatalf("retained: %+v %v", m, ok)
	}
	if m, ok := sb.Retained("devices/ESPDEVICE/platform"); !ok || !m.Platform || m.ClientID != "" {
		t.Fatalf("platform retained: %+v %v", m, ok)
	}
	if _, ok := sb.Retained("devices/none"); ok {
		t.Fatal("no retained message expected")
	}
	hasPacketID := func() bool {
		for _, e := range sb.Journal().Since(0) {
			if e.Kind == labs.KindPublish && !e.Platform && e.Message().PacketID != 0 {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(labtest.Wait); !hasPacketID(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a learner's QoS 1 publish must carry its packet id in the journal")
		}
	}
}

// TestSessionsShowTheWillWhileTheBrokerHoldsIt pins what Sessions reads of
// mochi's client (Properties.Will and its Flag): the will a CONNECT left,
// and none after a DISCONNECT, which discards it.
func TestSessionsShowTheWillWhileTheBrokerHoldsIt(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	addr := labtest.StartFront(t, l)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sensor", CleanStart: true, WillMessage: &paho.WillMessage{
		Topic: "devices/ESPDEVICE/status", Payload: []byte("offline"), QoS: 1, Retain: true}})
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "plain", CleanStart: true})
	ss := sb.Sessions()
	if len(ss) != 2 || ss[1].ClientID != "sensor" || ss[1].Will == nil ||
		*ss[1].Will != (labs.Will{Topic: "devices/ESPDEVICE/status", QoS: 1, Retain: true, Payload: "offline"}) || ss[0].Will != nil {
		t.Fatalf("sessions: %+v", ss)
	}
	if err := c.Disconnect(&paho.Disconnect{ReasonCode: 0}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(labtest.Wait); ; time.Sleep(10 * time.Millisecond) {
		ss := sb.Sessions()
		if len(ss) == 1 || len(ss) == 2 && ss[1].Will == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the will outlived a DISCONNECT: %+v", ss)
		}
	}
}

// TestSessionsShowADelayedWillUntilItIsSent: a connection dropped with a
// will delay leaves its will held (and shown) until the delay is over; a
// client that takes over the client id with no will ends it. Run under the
// race detector, this also pins that Sessions never reads the will mochi
// clears without a lock.
func TestSessionsShowADelayedWillUntilItIsSent(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	addr := labtest.StartFront(t, l)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	willOf := func(id string) *labs.Will {
		for _, s := range sb.Sessions() {
			if s.ClientID == id {
				return s.Will
			}
		}
		return nil
	}
	waitWill := func(what, id string, want bool) {
		t.Helper()
		for deadline := time.Now().Add(labtest.Wait); (willOf(id) != nil) != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: sessions %+v", what, sb.Sessions())
			}
		}
	}
	delay, expiry := uint32(1), uint32(60)
	connect := func(id string, will bool) *labtest.Client {
		cp := &paho.Connect{ClientID: id, Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}}
		if will {
			cp.WillMessage = &paho.WillMessage{Topic: "status/" + id, Payload: []byte("offline")}
			cp.WillProperties = &paho.WillProperties{WillDelayInterval: &delay}
		}
		return labtest.MustDial(t, addr, cp)
	}
	watcher := labtest.MustDial(t, addr, &paho.Connect{ClientID: "watcher", CleanStart: true})
	watcher.Sub(t, "status/#", 0)

	_ = connect("delayed", true).Conn.Close()
	waitWill("a dropped connection's delayed will is held", "delayed", true)
	if p := watcher.NextOn(t, "status/delayed"); string(p.Payload) != "offline" {
		t.Fatalf("the will: %q", p.Payload)
	}
	waitWill("a sent will is no longer held", "delayed", false)

	_ = connect("replaced", true).Conn.Close()
	waitWill("the will before the takeover", "replaced", true)
	connect("replaced", false)
	waitWill("a reconnect without a will ends the held one", "replaced", false)
}
