package check

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
)

const tcTopic = "devices/ESPDEVICE/sensors/TC/value"

// resilient starts a real client that recovers by itself: autopaho with a
// persistent session (MQTT 5, session expiry), reconnecting 100 ms after a
// loss, subscribed to topic at QoS 1 on its first connection only (later
// ones find the subscription in the session). It reports each DUP=1 message.
func resilient(t *testing.T, lb *lab, id, topic string, clean bool) <-chan *paho.Publish {
	t.Helper()
	u, _ := url.Parse("mqtt://" + lb.addr)
	dups := make(chan *paho.Publish, 16)
	subscribed := make(chan struct{}, 1)
	expiry := uint32(300)
	if clean {
		expiry = 0
	}
	cm, err := autopaho.NewConnection(context.Background(), autopaho.ClientConfig{
		ServerUrls: []*url.URL{u}, KeepAlive: 30, SessionExpiryInterval: expiry,
		ReconnectBackoff: func(int) time.Duration { return 100 * time.Millisecond },
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			if !ca.SessionPresent {
				go func() {
					_, _ = cm.Subscribe(context.Background(), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
					subscribed <- struct{}{}
				}()
			}
		},
		ClientConfig: paho.ClientConfig{ClientID: id, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) {
				if pr.Packet.Duplicate() {
					dups <- pr.Packet
				}
				return true, nil
			}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = cm.Disconnect(ctx)
	})
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("the resilient client did not subscribe")
	}
	return dups
}

func TestRecoversPassesForAClientThatReconnectsWithItsSession(t *testing.T) {
	lb := newLab(t)
	dups := resilient(t, lb, "phone", tcTopic, false)
	d := lb.check(t, "recovers", "topic", "devices/ESPDEVICE/sensors/+/value", "timeout", "10s")
	wantPass(t, d, `Your client "phone" recovered`, "marked DUP=1")
	select {
	case m := <-dups:
		if m.Topic != tcTopic {
			t.Errorf("the DUP=1 message came on %s", m.Topic)
		}
	case <-time.After(2 * time.Second):
		t.Error("the client itself saw no DUP=1 message")
	}
	if st := lb.sb.Faults(); len(st.Withheld) != 0 {
		t.Errorf("the check left faults armed: %+v", st)
	}
}

func TestRecoversFromARestartPassesForAClientThatReconnects(t *testing.T) {
	lb := newLab(t)
	resilient(t, lb, "phone", tcTopic, false)
	wantPass(t, lb.check(t, "recovers", "topic", tcTopic, "fault", "restart", "timeout", "10s"),
		`Your client "phone" recovered from the broker's restart`, "its persistent session kept its subscription")
}

func TestRecoversFailsForAClientThatDoesNotReconnect(t *testing.T) {
	lb := newLab(t)
	r := lb.raw3(t, "stubborn", false, "")
	subscribe3(t, r, tcTopic, 1)
	go func() { // a client that acks what it gets and never comes back
		for {
			pk, err := r.Read()
			if err != nil {
				return
			}
			if pk.FixedHeader.Type == 3 && pk.FixedHeader.Qos == 1 {
				_, _ = r.Conn.Write([]byte{0x40, 2, byte(pk.PacketID >> 8), byte(pk.PacketID)})
			}
		}
	}()
	res := lb.e.Evaluate(context.Background(), lb.sb, []Spec{spec("recovers", "topic", tcTopic, "timeout", "2s")})
	wantFail(t, res.Details[0],
		`Check lost the PUBACK of your client "stubborn" and cut its connection, but it did not reconnect within 2 s`, "reconnects by itself")
	// The evidence shows the lost PUBACK before the verdict.
	found := false
	for _, s := range res.Timeline {
		found = found || s.Kind == labs.KindFault && strings.Contains(s.Text, "fault injected — The broker did not receive this PUBACK from stubborn")
	}
	if !found {
		t.Errorf("the timeline lacks the lost PUBACK: %+v", res.Timeline)
	}
}

func TestRecoversSaysWhyItCannotStart(t *testing.T) {
	lb := newLab(t)
	wantFail(t, lb.check(t, "recovers", "topic", tcTopic), "No client of yours is subscribed", "mosquitto_sub -c -i my-phone -q 1")
	r := lb.raw3(t, "zero", false, "")
	subscribe3(t, r, tcTopic, 0)
	wantFail(t, lb.check(t, "recovers", "topic", tcTopic), `Your client "zero" subscribed to `+tcTopic+" with QoS 0")
	lb2 := newLab(t)
	c := lb2.raw3(t, "forgetful", true, "")
	subscribe3(t, c, tcTopic, 1)
	wantFail(t, lb2.check(t, "recovers", "topic", tcTopic), `Your client "forgetful" connected with clean session`, "-c -i forgetful")
	lb3 := newLab(t)
	a := lb3.raw3(t, "away", false, "")
	subscribe3(t, a, tcTopic, 1)
	// Gone, as the journal says: Sandbox.Sessions, polled meanwhile, would
	// race with mochi clearing the will of a client that says DISCONNECT.
	a.Send(t, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
	_ = a.Close()
	lb3.journaled(t, 1, labs.KindDisconnect, "")
	wantFail(t, lb3.check(t, "recovers", "topic", tcTopic), `Your client "away" is not connected`)
	if st := lb3.sb.Faults(); len(st.Withheld) != 0 {
		t.Errorf("a check that could not start armed a fault: %+v", st)
	}
}
