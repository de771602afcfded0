package labs_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// Each explanation of the protocol coach is produced by the situation it
// explains, with real MQTT clients, and absent from the look-alike line
// where the situation does not hold.

// coachLab is a personal lab with the default devices and its sandbox.
func coachLab(t *testing.T) (*labs.Sandbox, string) {
	t.Helper()
	l, addr := personalLab(t)
	sb, err := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	if err != nil {
		t.Fatal(err)
	}
	return sb, addr
}

// line waits for the n-th (from 1) journal line of kind for client (any
// client when "") on topic (any when "") and returns its explanation.
func line(t *testing.T, sb *labs.Sandbox, kind, client, topic string, n int) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		seen := 0
		for _, e := range sb.Journal().Since(0) {
			if e.Kind == kind && (client == "" || e.ClientID == client) && (topic == "" || e.Topic == topic) {
				if seen++; seen == n {
					return e.Coach()
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d-th %s line of %q on %q in the journal", n, kind, client, topic)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantCoach(t *testing.T, what, coach string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(coach, p) {
			t.Errorf("%s: explanation %q lacks %q", what, coach, p)
		}
	}
}

func wantNoCoach(t *testing.T, what, coach, part string) {
	t.Helper()
	if strings.Contains(coach, part) {
		t.Errorf("%s: explanation %q says %q where it does not apply", what, coach, part)
	}
}

func persistent(id string) *paho.Connect {
	exp := uint32(300)
	return &paho.Connect{ClientID: id, Properties: &paho.ConnectProperties{SessionExpiryInterval: &exp}}
}

func TestCoachExplainsAClientIDTakeover(t *testing.T) {
	sb, addr := coachLab(t)
	labtest.MustDial(t, addr, &paho.Connect{ClientID: "twin", CleanStart: true})
	second := labtest.MustDial(t, addr, &paho.Connect{ClientID: "twin", CleanStart: true})
	wantCoach(t, "takeover", line(t, sb, labs.KindDisconnect, "twin", "", 1), `same client id "twin"`)
	_ = second.Disconnect(&paho.Disconnect{})
	wantNoCoach(t, "a plain DISCONNECT", line(t, sb, labs.KindDisconnect, "twin", "", 2), "same client id")
}

func TestCoachExplainsRetainedClearedAndPublishWithoutSubscriber(t *testing.T) {
	sb, addr := coachLab(t)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	c.Pub(t, "lamp/state", "on", 1, true)
	first := line(t, sb, labs.KindPublish, "pub", "lamp/state", 1)
	wantNoCoach(t, "a retained value", first, "cleared")
	wantCoach(t, "nobody subscribed", first, "reached no subscriber", "retained copy waits")
	c.Pub(t, "lamp/state", "", 1, true)
	wantCoach(t, "empty retained", line(t, sb, labs.KindPublish, "pub", "lamp/state", 2), "cleared the retained message on lamp/state")

	// Heard by a subscriber: no "no subscriber"; devices/+ is one level only.
	s := labtest.MustDial(t, addr, &paho.Connect{ClientID: "sub", CleanStart: true})
	s.Sub(t, "lamp/state", 0)
	s.Sub(t, "devices/+", 0)
	c.Pub(t, "lamp/state", "off", 0, false)
	wantNoCoach(t, "a heard publish", line(t, sb, labs.KindPublish, "pub", "lamp/state", 3), "no subscriber")
	c.Pub(t, "devices/lamp/state", "off", 0, false)
	wantCoach(t, "too shallow a filter", line(t, sb, labs.KindPublish, "pub", "devices/lamp/state", 1),
		"reached no subscriber", "The filter devices/+ matches exactly one level")
}

func TestCoachExplainsAQoSDowngrade(t *testing.T) {
	sb, addr := coachLab(t)
	s := labtest.MustDial(t, addr, &paho.Connect{ClientID: "listener", CleanStart: true})
	s.Sub(t, "room/temp", 1)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	c.Pub(t, "room/temp", "20", 2, false)
	if m := s.Next(t); m.QoS != 1 {
		t.Fatalf("delivered at QoS %d, want 1", m.QoS)
	}
	wantCoach(t, "QoS 2 to a QoS 1 subscription", line(t, sb, labs.KindPublish, "pub", "room/temp", 1),
		"Published at QoS 2, delivered to listener at QoS 1 because listener subscribed to room/temp with QoS 1")
	c.Pub(t, "room/temp", "21", 1, false)
	wantNoCoach(t, "QoS 1 to a QoS 1 subscription", line(t, sb, labs.KindPublish, "pub", "room/temp", 2), "delivered to listener at QoS")
}

func TestCoachExplainsNothingQueuedForAnAbsentClient(t *testing.T) {
	sb, addr := coachLab(t)
	away := labtest.MustDial(t, addr, persistent("away"))
	away.Sub(t, "q0/#", 0)
	away.Sub(t, "q1/#", 1)
	_ = away.Disconnect(&paho.Disconnect{})
	line(t, sb, labs.KindDisconnect, "away", "", 1)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	c.Pub(t, "q0/x", "a", 1, false)
	wantCoach(t, "QoS 0 subscription", line(t, sb, labs.KindPublish, "pub", "q0/x", 1), "Nothing was queued for away", "subscribed to q0/# with QoS 0")
	c.Pub(t, "q1/x", "b", 0, false)
	wantCoach(t, "QoS 0 publish", line(t, sb, labs.KindPublish, "pub", "q1/x", 1), "Nothing was queued for away", "published at QoS 0")
	c.Pub(t, "q1/x", "c", 1, false)
	wantNoCoach(t, "QoS 1 publish to a QoS 1 subscription", line(t, sb, labs.KindPublish, "pub", "q1/x", 2), "Nothing was queued")
}

func TestCoachExplainsAWillNotSent(t *testing.T) {
	sb, addr := coachLab(t)
	will := &paho.WillMessage{Topic: "status/w", Payload: []byte("offline")}
	g := labtest.MustDial(t, addr, &paho.Connect{ClientID: "graceful", CleanStart: true, WillMessage: will})
	_ = g.Disconnect(&paho.Disconnect{})
	wantCoach(t, "graceful DISCONNECT", line(t, sb, labs.KindDisconnect, "graceful", "", 1), "will was not sent", "DISCONNECT")

	d := labtest.MustDial(t, addr, &paho.Connect{ClientID: "dropped", CleanStart: true, WillMessage: will})
	_ = d.Conn.Close()
	wantNoCoach(t, "a dropped connection sends its will", line(t, sb, labs.KindDisconnect, "dropped", "", 1), "will")

	delay := uint32(60)
	cp := persistent("delayed")
	cp.WillMessage, cp.WillProperties = will, &paho.WillProperties{WillDelayInterval: &delay}
	w := labtest.MustDial(t, addr, cp)
	_ = w.Conn.Close()
	wantCoach(t, "will delay", line(t, sb, labs.KindDisconnect, "delayed", "", 1), "will delay of 60 s")
}

func TestCoachExplainsAKeepAliveTimeout(t *testing.T) {
	sb, addr := coachLab(t)
	pk := labtest.RawConnect(5, "sleepy", "", "", true)
	pk.Connect.Keepalive = 1
	labtest.RawDial(t, addr, pk) // then says nothing
	wantCoach(t, "silent client", line(t, sb, labs.KindDisconnect, "sleepy", "", 1), "keep-alive")
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "awake", CleanStart: true})
	_ = c.Disconnect(&paho.Disconnect{})
	wantNoCoach(t, "a DISCONNECT", line(t, sb, labs.KindDisconnect, "awake", "", 1), "keep-alive")
}

func TestCoachExplainsARefusedFilterAndNonJSONForTheCloud(t *testing.T) {
	sb, addr := coachLab(t)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "dev", CleanStart: true})
	codes := c.Sub(t, "devices/#/value", 0)
	if len(codes) != 1 || codes[0] < 0x80 {
		t.Fatalf("devices/#/value granted %v", codes)
	}
	wantCoach(t, "# in the middle", line(t, sb, labs.KindSubscribe, "dev", "", 1), "# must be the last level")
	c.Sub(t, "devices/+/value", 0)
	wantNoCoach(t, "a valid filter", line(t, sb, labs.KindSubscribe, "dev", "", 2), "refused")

	const topic = "devices/ESPDEVICE/sensors/TC/value"
	c.Pub(t, topic, "hot", 0, false)
	wantCoach(t, "not JSON", line(t, sb, labs.KindPublish, "dev", topic, 1), "cloud expects a JSON payload")
	c.Pub(t, topic, `{"value": 21.5}`, 0, false)
	wantNoCoach(t, "JSON", line(t, sb, labs.KindPublish, "dev", topic, 2), "JSON")
}

// mosquittoSubFor runs mosquitto_sub (MQTT 3.1.1, QoS 1) as client id on
// filter for one second, after which it sends DISCONNECT and exits.
func mosquittoSubFor(t *testing.T, addr, id, filter string, extra ...string) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_sub")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto_sub is missing: apt-get install mosquitto-clients")
		}
		t.Skip("mosquitto_sub not installed (apt-get install mosquitto-clients)")
	}
	host, port, _ := net.SplitHostPort(addr)
	args := append([]string{"-V", "mqttv311", "-h", host, "-p", port, "-i", id, "-q", "1", "-t", filter, "-W", "1"}, extra...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil && !strings.Contains(string(out), "Timed out") {
		t.Fatalf("mosquitto_sub %v: %v\n%s", args, err, out)
	}
}

func TestCoachExplainsNothingQueuedForACleanSession(t *testing.T) {
	sb, addr := coachLab(t)
	// mosquitto_sub without -c: a 3.1.1 clean session, dropped when it leaves;
	// with -c its session, and its QoS 1 subscription, stay.
	mosquittoSubFor(t, addr, "classic", "clean/#")
	mosquittoSubFor(t, addr, "keeper", "clean/#", "-c")
	line(t, sb, labs.KindDisconnect, "classic", "", 1)
	line(t, sb, labs.KindDisconnect, "keeper", "", 1)
	// MQTT 5 without a session expiry interval: the same, said the MQTT 5 way.
	v5 := labtest.MustDial(t, addr, &paho.Connect{ClientID: "fleeting", CleanStart: true})
	v5.Sub(t, "clean/#", 1)
	_ = v5.Disconnect(&paho.Disconnect{})
	line(t, sb, labs.KindDisconnect, "fleeting", "", 1)

	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	c.Pub(t, "clean/x", "a", 1, false)
	got := line(t, sb, labs.KindPublish, "pub", "clean/x", 1)
	wantCoach(t, "3.1.1 clean session", got, "Nothing was queued for classic, which is away: it connected with clean session", "subscription to clean/#", "mosquitto_sub -c")
	wantCoach(t, "MQTT 5 session expiry 0", got, "Nothing was queued for fleeting, which is away: its session expiry interval was 0")
	wantNoCoach(t, "a kept session", got, "Nothing was queued for keeper")

	// Back with a new session: the old one no longer explains anything.
	back := labtest.MustDial(t, addr, &paho.Connect{ClientID: "fleeting", CleanStart: true})
	back.Sub(t, "other/#", 1)
	c.Pub(t, "clean/x", "b", 1, false)
	wantNoCoach(t, "a client that came back", line(t, sb, labs.KindPublish, "pub", "clean/x", 2), "Nothing was queued for fleeting")
}

func TestCoachExplainsNothingQueuedForAnExpiredSession(t *testing.T) {
	sb, addr := coachLab(t)
	exp := uint32(1)
	short := labtest.MustDial(t, addr, &paho.Connect{ClientID: "brief", Properties: &paho.ConnectProperties{SessionExpiryInterval: &exp}})
	short.Sub(t, "exp/#", 1)
	_ = short.Disconnect(&paho.Disconnect{})
	line(t, sb, labs.KindDisconnect, "brief", "", 1)
	c := labtest.MustDial(t, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	// Within the interval the session holds the message: nothing to explain.
	c.Pub(t, "exp/x", "kept", 1, false)
	wantNoCoach(t, "a session within its expiry", line(t, sb, labs.KindPublish, "pub", "exp/x", 1), "Nothing was queued")

	deadline := time.Now().Add(5 * time.Second)
	for gone := false; !gone; {
		gone = true
		for _, s := range sb.Sessions() {
			gone = gone && s.ClientID != "brief"
		}
		if time.Now().After(deadline) {
			t.Fatal("the session of brief did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Pub(t, "exp/x", "lost", 1, false)
	wantCoach(t, "an expired session", line(t, sb, labs.KindPublish, "pub", "exp/x", 2),
		"Nothing was queued for brief, which is away: its session expired 1 s after it disconnected", "subscription to exp/#")
}
