package labs_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session/state"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// rejectAcks is a hook that rejects every PUBACK a client sends.
type rejectAcks struct{ mqtt.HookBase }

func (rejectAcks) ID() string           { return "reject-acks" }
func (rejectAcks) Provides(b byte) bool { return b == mqtt.OnPacketRead }
func (rejectAcks) OnPacketRead(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type == packets.Puback {
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}

// TestRejectPacketEndsTheConnectionInMochi pins what faultHook works
// around: in mochi v2.7.9 an OnPacketRead hook that returns
// ErrRejectPacket does not drop the packet quietly, it ends the client's
// connection. If this fails after a mochi upgrade, faultHook.OnPacketRead
// may reject the withheld ack instead of making it inert.
func TestRejectPacketEndsTheConnectionInMochi(t *testing.T) {
	server, addr := startBareMochi(t, nil)
	if err := server.AddHook(new(rejectAcks), nil); err != nil {
		t.Fatal(err)
	}
	c, _ := labtest.RawDial(t, addr, labtest.RawConnect(4, "acker", "", "", false))
	c.Send(t, rawSubscribe(1, "t", 1))
	readType(t, c, packets.Suback)
	if err := server.Publish("t", []byte("x"), false, 1); err != nil {
		t.Fatal(err)
	}
	pk := readType(t, c, packets.Publish)
	c.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
	_ = c.Conn.SetReadDeadline(time.Now().Add(labtest.Wait))
	if _, err := c.Read(); err == nil {
		t.Fatal("the connection is still open after a rejected PUBACK: mochi now drops the packet quietly")
	}
}

// persistentV5 connects an MQTT 5 client with a session that outlives it.
func persistentV5(id string) *paho.Connect {
	expiry := uint32(300)
	return &paho.Connect{ClientID: id, CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}}
}

func faultLine(t *testing.T, sb *labs.Sandbox, clientID, packet string) labs.Event {
	t.Helper()
	return labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindFault && e.ClientID == clientID && e.Fault().Packet == packet
	})
}

// TestWithheldPubackIsRedeliveredWithDupToAPahoClient: the case of the
// course. The subscriber's PUBACK is withheld (journalled with the coach's
// words); the subscriber stays connected and gets nothing more; when it
// comes back with its session, the broker sends the message again with
// DUP=1, which paho shows, and the journal shows the delivery as DUP.
func TestWithheldPubackIsRedeliveredWithDupToAPahoClient(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	sub := labtest.MustDial(t, addr, persistentV5("c1"))
	sub.Sub(t, "lab/t", 1)
	if err := sb.WithholdAck("c1", labs.AckFromClient, false); err != nil {
		t.Fatal(err)
	}
	if err := sb.Publish("lab/t", []byte("once"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := sub.Next(t); m.Duplicate() || string(m.Payload) != "once" {
		t.Fatalf("first delivery %q dup %v, want once without DUP", m.Payload, m.Duplicate())
	}
	f := faultLine(t, sb, "c1", "PUBACK")
	if c := f.Coach(); !strings.Contains(c, "did not receive this PUBACK") || !strings.Contains(c, "DUP=1, when c1 reconnects") {
		t.Errorf("the withheld PUBACK is explained as %q", c)
	}
	if got := sb.Sessions()[0].Queued; got != 1 {
		t.Errorf("the broker holds %d messages for c1 after its PUBACK was withheld, want 1", got)
	}
	sub.None(t, 300*time.Millisecond) // MQTT 5 never resends on the same connection
	_ = sub.Conn.Close()
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "c1" })

	back := labtest.MustDial(t, addr, persistentV5("c1"))
	m := back.Next(t)
	if !m.Duplicate() || string(m.Payload) != "once" || m.PacketID != f.Fault().PacketID {
		t.Fatalf("redelivery %q id %d dup %v, want once id %d with DUP=1", m.Payload, m.PacketID, m.Duplicate(), f.Fault().PacketID)
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindDeliver && e.ClientID == "c1" && e.Message().Dup && e.Payload == "once"
	})
	// The fault was for one ack: the redelivery's PUBACK completes it.
	waitFor(t, "c1's queue to empty", func() bool { return sb.Sessions()[0].Queued == 0 })
}

// TestWithheldPubackWithCutComesBackToAClientThatReconnects: with cut, the
// connection ends right after the withheld PUBACK, as after a network
// failure; the client that reconnects gets the message again.
func TestWithheldPubrecFromClientIsRedeliveredAfterTheCut(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	sub := labtest.MustDial(t, addr, persistentV5("c2"))
	sub.Sub(t, "lab/q2", 2)
	if err := sb.WithholdAck("c2", labs.AckFromClient, true); err != nil {
		t.Fatal(err)
	}
	// A learner's publisher at QoS 2: the delivery is QoS 2, acked with PUBREC.
	pub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "p2", CleanStart: true})
	pub.Pub(t, "lab/q2", "exactly", 2, false)
	sub.Next(t)
	faultLine(t, sb, "c2", "PUBREC")
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "c2" })
	back := labtest.MustDial(t, addr, persistentV5("c2"))
	if m := back.Next(t); !m.Duplicate() || string(m.Payload) != "exactly" {
		t.Fatalf("redelivery %q dup %v, want exactly with DUP=1", m.Payload, m.Duplicate())
	}
}

// dialSession connects a paho client whose session state (its unacked
// publishes) is st, so that a second connection resends them.
func dialSession(t *testing.T, addr, id string, st *state.State) (*paho.Client, net.Conn) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := paho.NewClient(paho.ClientConfig{Conn: conn, ClientID: id, Session: st, OnClientError: func(error) {}})
	ctx, cancel := context.WithTimeout(context.Background(), labtest.Wait)
	defer cancel()
	cp := persistentV5(id)
	cp.KeepAlive = 30
	if _, err := c.Connect(ctx, cp); err != nil {
		t.Fatal(err)
	}
	return c, conn
}

// TestWithheldBrokerPubackMakesThePublisherResendWithDup: the reverse. The
// broker's PUBACK to a paho publisher is lost and the connection cut; the
// subscriber got the message once; the publisher, back with its session,
// sends it again with DUP=1, and the subscriber gets it a second time
// (QoS 1 is at least once).
func TestWithheldBrokerPubackMakesThePublisherResendWithDup(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	sub := labtest.MustDial(t, addr, &paho.Connect{ClientID: "watch", CleanStart: true})
	sub.Sub(t, "lab/p", 1)
	st := state.NewInMemory()
	t.Cleanup(func() { _ = st.Close() })
	pub, _ := dialSession(t, addr, "p1", st)
	if err := sb.WithholdAck("p1", labs.AckFromBroker, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: "lab/p", Payload: []byte("hello"), QoS: 1}); err == nil {
		t.Fatal("the publisher got its PUBACK although the fault withheld it")
	}
	if m := sub.Next(t); string(m.Payload) != "hello" {
		t.Fatalf("the subscriber got %q, want hello", m.Payload)
	}
	f := faultLine(t, sb, "p1", "PUBACK")
	if f.Fault().From != "broker" || !strings.Contains(f.Coach(), "never reached p1") {
		t.Errorf("the withheld PUBACK is journalled as %+v", f.Fault())
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "p1" })

	dialSession(t, addr, "p1", st)
	again := labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindPublish && e.ClientID == "p1" && e.Message().Dup
	})
	if again.Payload != "hello" {
		t.Errorf("the publisher resent %q, want hello", again.Payload)
	}
	if m := sub.Next(t); string(m.Payload) != "hello" {
		t.Fatalf("the subscriber's second copy is %q, want hello", m.Payload)
	}
}

func TestDelayedDeliveriesArriveLateToThatClientOnly(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	slow := labtest.MustDial(t, addr, &paho.Connect{ClientID: "slow", CleanStart: true})
	fast := labtest.MustDial(t, addr, &paho.Connect{ClientID: "fast", CleanStart: true})
	slow.Sub(t, "lab/d", 0)
	fast.Sub(t, "lab/d", 0)
	if err := sb.DelayDeliveries("slow", 700*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := sb.Publish("lab/d", []byte("late"), 0, false); err != nil {
		t.Fatal(err)
	}
	fast.Next(t)
	fastIn := time.Since(start)
	slow.Next(t)
	slowIn := time.Since(start)
	if slowIn < 700*time.Millisecond || fastIn >= 700*time.Millisecond {
		t.Errorf("slow got it after %v (want ≥ 700 ms), fast after %v (want < 700 ms)", slowIn, fastIn)
	}
}

// TestRestartKeepsAPersistentSessionsQueuedMessage: after a restart the
// clients are gone; a message published meanwhile waits in the persistent
// session and arrives when the client comes back; retained messages stay;
// a clean session is gone.
func TestRestartKeepsAPersistentSessionsQueuedMessage(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	keep := labtest.MustDial(t, addr, persistentV5("keeper"))
	keep.Sub(t, "lab/r", 1)
	clean := labtest.MustDial(t, addr, &paho.Connect{ClientID: "forgetful", CleanStart: true})
	clean.Sub(t, "lab/r", 1)
	if err := sb.Publish("lab/status", []byte("online"), 0, true); err != nil {
		t.Fatal(err)
	}
	info, err := sb.RestartBroker()
	if err != nil {
		t.Fatal(err)
	}
	if info.Disconnected != 2 || info.Sessions != 1 || info.Retained != 1 {
		t.Errorf("restart reports %+v, want 2 disconnected, 1 session, 1 retained", info)
	}
	waitFor(t, "both clients to be disconnected", func() bool { return sb.Connected() == 0 })
	if err := sb.Publish("lab/r", []byte("while down"), 1, false); err != nil {
		t.Fatal(err)
	}
	back := labtest.MustDial(t, addr, persistentV5("keeper"))
	if m := back.NextOn(t, "lab/r"); string(m.Payload) != "while down" {
		t.Fatalf("the persistent session brought back %q, want the queued message", m.Payload)
	}
	back.Sub(t, "lab/status", 0)
	if m := back.NextOn(t, "lab/status"); string(m.Payload) != "online" {
		t.Errorf("the retained message after the restart is %q", m.Payload)
	}
	for _, s := range sb.Sessions() {
		if s.ClientID == "forgetful" {
			t.Error("the clean session outlived the restart")
		}
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		return e.Kind == labs.KindFault && e.Fault().Fault == labs.FaultRestart && strings.Contains(e.Coach(), "1 persistent session")
	})
}

// TestUnreachableRefusesThenRecovers: connections closed, a CONNECT refused
// with server unavailable and the reason in words, then accepted again.
func TestUnreachableRefusesThenRecovers(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	c := labtest.MustDial(t, addr, persistentV5("u1"))
	c.Sub(t, "lab/u", 1)
	if err := sb.MakeUnreachable(time.Second); err != nil {
		t.Fatal(err)
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "u1" })
	_, ack, err := labtest.Dial(t, addr, persistentV5("u1"))
	if err == nil || ack == nil || ack.ReasonCode != 0x88 || !strings.Contains(ack.Properties.ReasonString, "unreachable") {
		t.Fatalf("CONNECT while unreachable: ack %+v err %v, want 0x88 with the reason", ack, err)
	}
	if err := sb.Publish("lab/u", []byte("meanwhile"), 1, false); err != nil {
		t.Fatal(err)
	}
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindFault && e.Fault().Ended })
	back := labtest.MustDial(t, addr, persistentV5("u1"))
	if m := back.Next(t); string(m.Payload) != "meanwhile" {
		t.Fatalf("after the outage the session brought %q", m.Payload)
	}
}

// TestFaultBadInputSaysWhyAndTouchesNoOtherSandbox: unknown clients and
// out-of-range values are refused in words; a fault in one sandbox leaves
// another's clients alone.
func TestFaultBadInputSaysWhyAndTouchesNoOtherSandbox(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	addr := labtest.StartFront(t, l)
	a, _ := l.Sandbox("alice", labs.Setup{})
	b, _ := l.Sandbox("bob", labs.Setup{})
	bc := l.Credentials("bob")
	bob := labtest.MustDial(t, addr, &paho.Connect{ClientID: "bob-sub", CleanStart: true, UsernameFlag: true, Username: bc.Username, PasswordFlag: true, Password: []byte(bc.Password)})
	bob.Sub(t, "x", 1)
	var fe *labs.FaultError
	for name, err := range map[string]error{
		"unknown client":    a.WithholdAck("bob-sub", labs.AckFromClient, false),
		"no client":         a.WithholdAck("", labs.AckFromClient, false),
		"bad side":          b.WithholdAck("bob-sub", "nobody", false),
		"delay too long":    b.DelayDeliveries("bob-sub", time.Minute, 0),
		"delay lasts long":  b.DelayDeliveries("bob-sub", time.Second, time.Hour),
		"outage too long":   a.MakeUnreachable(10 * time.Minute),
		"outage too short":  a.MakeUnreachable(0),
		"delay of no one":   a.DelayDeliveries("ghost", time.Second, 0),
		"delay of nothing":  b.DelayDeliveries("bob-sub", 0, 0),
		"withhold of ghost": b.WithholdAck("ghost", labs.AckFromBroker, true),
	} {
		if !errors.As(err, &fe) || fe.Message == "" || fe.Field == "" {
			t.Errorf("%s: %v, want a FaultError naming its field", name, err)
		}
	}
	if err := a.WithholdAck("bob-sub", labs.AckFromClient, false); !errors.As(err, &fe) || !fe.Unknown || !strings.Contains(fe.Message, `"bob-sub"`) {
		t.Errorf("alice's sandbox withholding bob's client: %v", err)
	}
	if _, err := a.RestartBroker(); err != nil {
		t.Fatal(err)
	}
	if err := a.MakeUnreachable(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("x", []byte("still here"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := bob.Next(t); string(m.Payload) != "still here" {
		t.Fatalf("bob got %q", m.Payload)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(labtest.Wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", labtest.Wait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAConnectionCutWhileItsSessionIsResentEndsLikeAnyOther: a client
// comes back to a session holding an unacknowledged QoS 1 message, and its
// connection is cut while the broker resends that message (held here by a
// delay fault, as a slow network would). The connection ends as any lost
// connection does: its will is sent and the journal says it ended, session
// kept (see TestAFailedResendSkipsTheDisconnectWorkInMochi).
func TestAConnectionCutWhileItsSessionIsResentEndsLikeAnyOther(t *testing.T) {
	l, addr := personalLab(t)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	watcher := labtest.MustDial(t, addr, &paho.Connect{ClientID: "watcher", CleanStart: true})
	watcher.Sub(t, "lab/will", 0)
	c, _ := labtest.RawDial(t, addr, labtest.RawConnect(4, "c1", "", "", false))
	c.Send(t, rawSubscribe(1, "lab/q", 1))
	readType(t, c, packets.Suback)
	if err := sb.Publish("lab/q", []byte("unacked"), 1, false); err != nil {
		t.Fatal(err)
	}
	readType(t, c, packets.Publish) // and no PUBACK: the message stays in flight
	_ = c.Conn.Close()
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "c1" })

	if err := sb.DelayDeliveries("c1", 2*time.Second, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	withWill := labtest.RawConnect(4, "c1", "", "", false)
	withWill.Connect.WillFlag, withWill.Connect.WillTopic, withWill.Connect.WillPayload = true, "lab/will", []byte("c1 lost")
	_, ack := labtest.RawDial(t, addr, withWill)
	if !ack.SessionPresent {
		t.Fatal("the session was not resumed")
	}
	time.Sleep(100 * time.Millisecond) // the resend is now held by the delay
	if err := sb.DropConnection("c1"); err != nil {
		t.Fatal(err)
	}
	if m := watcher.NextOn(t, "lab/will"); string(m.Payload) != "c1 lost" {
		t.Errorf("the will of the cut connection is %q", m.Payload)
	}
	var dropped uint64
	labtest.WaitEvent(t, sb, func(e labs.Event) bool {
		if e.Kind == labs.KindFault && e.Fault().Fault == labs.FaultDrop {
			dropped = e.Seq
		}
		return dropped != 0 && e.Seq > dropped && e.Kind == labs.KindDisconnect && e.ClientID == "c1" &&
			!e.Disconnect().Graceful && e.Disconnect().SessionKept
	})
}

// failingPublishes is a connection whose writes of a PUBLISH fail once fail
// is set, as a connection that breaks while the broker resends would.
type failingPublishes struct {
	net.Conn
	fail *atomic.Bool
}

func (c failingPublishes) Write(p []byte) (int, error) {
	if c.fail.Load() && len(p) > 0 && p[0]>>4 == packets.Publish {
		_ = c.Conn.Close()
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// disconnects counts mochi's OnDisconnect calls.
type disconnects struct {
	mqtt.HookBase
	n atomic.Int32
}

func (*disconnects) ID() string                               { return "disconnects" }
func (*disconnects) Provides(b byte) bool                     { return b == mqtt.OnDisconnect }
func (h *disconnects) OnDisconnect(*mqtt.Client, error, bool) { h.n.Add(1) }

// TestAFailedResendSkipsTheDisconnectWorkInMochi pins what meteredConn.Write
// works around: in mochi v2.7.9 a connection whose resent session messages
// cannot be written ends without the OnDisconnect hook (and without its
// will). If this fails after a mochi upgrade, meteredConn.Write may return
// write errors again.
func TestAFailedResendSkipsTheDisconnectWorkInMochi(t *testing.T) {
	var fail atomic.Bool
	server, addr := startBareMochi(t, func(c net.Conn) net.Conn { return failingPublishes{Conn: c, fail: &fail} })
	hook := new(disconnects)
	if err := server.AddHook(hook, nil); err != nil {
		t.Fatal(err)
	}
	c, _ := labtest.RawDial(t, addr, labtest.RawConnect(4, "c1", "", "", false))
	c.Send(t, rawSubscribe(1, "t", 1))
	readType(t, c, packets.Suback)
	if err := server.Publish("t", []byte("x"), false, 1); err != nil {
		t.Fatal(err)
	}
	readType(t, c, packets.Publish)
	_ = c.Conn.Close()
	waitFor(t, "the first connection's disconnect", func() bool { return hook.n.Load() == 1 })

	fail.Store(true)
	back, _ := labtest.RawDial(t, addr, labtest.RawConnect(4, "c1", "", "", false))
	_ = back.Conn.SetReadDeadline(time.Now().Add(labtest.Wait))
	for {
		if _, err := back.Read(); err != nil {
			break // the broker closed it on the failed resend
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := hook.n.Load(); n != 1 {
		t.Fatalf("OnDisconnect ran %d times, want 1 (only for the first connection): mochi now runs it after a failed resend", n)
	}
}
