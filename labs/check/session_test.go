package check

import (
	"context"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
)

// readPublish reads packets until a PUBLISH on topic arrives.
func readPublish(t *testing.T, r interface {
	Read() (packets.Packet, error)
}, topic string) packets.Packet {
	t.Helper()
	for {
		pk, err := r.Read()
		if err != nil {
			t.Fatalf("waiting for %s: %v", topic, err)
		}
		if pk.FixedHeader.Type == packets.Publish && pk.TopicName == topic {
			return pk
		}
	}
}

func TestPersistentSessionPassesWhenTheClientComesBack(t *testing.T) {
	lb := newLab(t)
	r := lb.raw3(t, "keeper", false, "")
	subscribe3(t, r, "devices/ESPDEVICE/sensors/TC/value", 1)
	lb.disconnect3(t, r, "keeper")

	done := make(chan Detail, 1)
	go func() {
		done <- lb.e.Evaluate(context.Background(), lb.sb, []Spec{spec("persistent-session", "topic", "devices/ESPDEVICE/sensors/+/value", "timeout", "3s")}).Details[0]
	}()
	lb.journaled(t, 1, labs.KindPublish, "devices/ESPDEVICE/sensors/TC/value") // Check published while it is away
	back := lb.raw3(t, "keeper", false, "")
	readPublish(t, back, "devices/ESPDEVICE/sensors/TC/value")
	wantPass(t, <-done, `Your client "keeper" came back with its session and received the value Check published on devices/ESPDEVICE/sensors/TC/value while it was away.`)
}

func TestPersistentSessionFailsWithACleanSession(t *testing.T) {
	lb := newLab(t)
	r := lb.raw3(t, "forgetful", true, "")
	subscribe3(t, r, "devices/ESPDEVICE/sensors/TC/value", 1)
	wantFail(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "forgetful" connected with clean session (clean start), so the broker will forget its subscriptions as soon as it disconnects`)
	lb.disconnect3(t, r, "forgetful")
	lb.journaled(t, 1, labs.KindDisconnect, "")
	wantFail(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "forgetful" connected with clean session (clean start), so the broker forgot its subscriptions when it disconnected: connect with clean session off and a session expiry`)
}

func TestPersistentSessionAsksToDisconnectAndNeedsQoS1(t *testing.T) {
	lb := newLab(t)
	c := lb.v5Persistent(t, "online")
	c.Sub(t, "devices/ESPDEVICE/#", 0)
	wantFail(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "online" subscribed to devices/ESPDEVICE/# with QoS 0, and the broker keeps messages for an absent client only at QoS 1 or 2: subscribe with QoS 1`)
	c.Sub(t, "devices/ESPDEVICE/#", 1)
	wantFail(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value", "timeout", "2s"),
		`Your client "online" is still connected: disconnect it now and press Check again; Check will publish while it is away and wait up to 2 s for it to come back.`)
}

func TestPersistentSessionWhenTheClientComesBackLate(t *testing.T) {
	lb := newLab(t)
	c := lb.v5Persistent(t, "late")
	c.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 1)
	_ = c.Conn.Close()
	lb.waitGone(t, "late")
	start := time.Now()
	wantFail(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value", "timeout", "1s"),
		`Check published a fresh value on devices/ESPDEVICE/sensors/TC/value while your client "late" was away, but it did not come back within 1 s: reconnect it with the same client id and clean session off, then press Check again.`)
	if time.Since(start) > 3*time.Second {
		t.Errorf("waited %v for a 1s timeout", time.Since(start))
	}
	// It comes back after the timeout: the next press finds the proof in the journal.
	back := lb.v5Persistent(t, "late")
	back.NextOn(t, "devices/ESPDEVICE/sensors/TC/value")
	lb.journaled(t, 1, labs.KindDeliver, "devices/ESPDEVICE/sensors/TC/value")
	wantPass(t, lb.check(t, "persistent-session", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "late" came back with its session and received the message published on devices/ESPDEVICE/sensors/TC/value while it was away.`)
}
