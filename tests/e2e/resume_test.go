package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session/state"
)

// The course's persistent-session exercise with real clients: subscribe
// with a persistent session, leave, a QoS 1 message is published, come
// back. The queued message must arrive once, with DUP=0 (it is its first
// delivery), and the client's re-SUBSCRIBE must be granted: mochi alone
// flags it DUP=1 and answers the SUBSCRIBE with 0x91, and mosquitto_sub then
// quits with "All subscription requests were denied".

const resumeTopic = "devices/ESPDEVICE/sensors/TC/value"

// TestResumedSessionWithMosquittoSub: the learner's exact commands, in
// MQTT 3.1.1 and MQTT 5, leaving with Ctrl+C (DISCONNECT) or kill -9.
func TestResumedSessionWithMosquittoSub(t *testing.T) {
	t.Parallel()
	for _, proto := range []struct{ name, flags string }{
		{"MQTT 3.1.1", "-V mqttv311"},
		{"MQTT 5", "-V mqttv5 -x 300"},
	} {
		for _, leave := range []string{"Ctrl+C", "kill -9"} {
			t.Run(proto.name+", "+leave, func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, false)
				subLine := "mosquitto_sub -h 127.0.0.1 -p " + srv.mqttPort() + " " + proto.flags +
					" -c -i my-dashboard -q 1 -t " + resumeTopic + " -v"
				first := srv.shellSub(t, subLine)
				if leave == "Ctrl+C" {
					first.interrupt(t)
				} else {
					first.kill()
					srv.awaitJournal(t, "my-dashboard's lost connection", func(e journalEvent) bool {
						return e.Kind == "disconnect" && e.ClientID == "my-dashboard"
					})
				}
				pub := func(payload string) {
					t.Helper()
					if out, err := srv.mosquitto(t, "mosquitto_pub", "-q", "1", "-t", resumeTopic, "-m", payload); err != nil {
						t.Fatalf("mosquitto_pub: %v %s", err, out)
					}
				}
				pub(`{"value": 30}`)
				srv.awaitPublish(t, resumeTopic, `{"value": 30}`, 1) // queued before the client comes back
				back := srv.shellSub(t, subLine)
				back.expect(t, resumeTopic+` {"value": 30}`)
				// A live value next: the queued one came once, and the
				// subscription holds (a denied re-SUBSCRIBE ends mosquitto_sub).
				pub(`{"value": 31}`)
				back.expect(t, resumeTopic+` {"value": 31}`)
				debug := back.all.String()
				if !strings.Contains(debug, "received PUBLISH (d0, q1") || strings.Contains(debug, "received PUBLISH (d1") {
					t.Errorf("the queued message did not arrive with DUP=0 (d0) only:\n%s", debug)
				}
				if strings.Contains(back.stderr.String(), "denied") {
					t.Errorf("the re-SUBSCRIBE was denied:\n%s%s", debug, back.stderr.String())
				}
			})
		}
	}
}

// TestResumedSessionWithMQTTJS: the same with MQTT.js, which re-subscribes
// on reconnect.
func TestResumedSessionWithMQTTJS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	code := `
const mqtt = require("mqtt");
const url = "mqtt://` + srv.MQTT + `";
const opts = { clientId: "my-dashboard", clean: false, reconnectPeriod: 0 };
function session(then) {
  const c = mqtt.connect(url, opts);
  c.on("connect", (ack) => {
    console.log("CONNACK present=" + ack.sessionPresent);
    c.subscribe("` + resumeTopic + `", { qos: 1 }, (err, granted) => {
      console.log("SUBACK " + (err ? "error " + err.message : granted.map((g) => g.qos).join(",")));
      then(c);
    });
  });
  c.on("message", (t, p, pk) => console.log("MESSAGE " + t + " " + p + " dup=" + pk.dup));
  c.on("error", (e) => console.log("ERROR " + e.message));
}
session((c) => c.end(false, () => console.log("AWAY")));
process.stdin.on("data", () => session(() => {}));
`
	app := runJS(t, "", code)
	app.waitFor(t, "SUBACK 1")
	app.waitFor(t, "AWAY")
	if out, err := srv.mosquitto(t, "mosquitto_pub", "-q", "1", "-t", resumeTopic, "-m", `{"value": 30}`); err != nil {
		t.Fatalf("mosquitto_pub: %v %s", err, out)
	}
	srv.awaitPublish(t, resumeTopic, `{"value": 30}`, 1) // queued before the client comes back
	app.send(t, "back\n")
	app.waitFor(t, "CONNACK present=true")
	if l := app.waitFor(t, "MESSAGE"); l != "MESSAGE "+resumeTopic+` {"value": 30} dup=false` {
		t.Errorf("MQTT.js got %q, want the queued value once with dup=false", l)
	}
	app.waitFor(t, "SUBACK 1")
}

// TestResumedSessionWithPaho: the same with paho.golang (MQTT 5), which
// numbers its packets from 1 like mosquitto.
func TestResumedSessionWithPaho(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	sess := state.NewInMemory()
	connect := func() *paho.Connect {
		return &paho.Connect{ClientID: "my-dashboard", CleanStart: false,
			Properties: &paho.ConnectProperties{SessionExpiryInterval: u32(300)}}
	}
	away, _ := mustV5(t, srv.MQTT, connect(), sess)
	away.subscribe(t, resumeTopic, 1)
	if err := away.Disconnect(&paho.Disconnect{}); err != nil {
		t.Fatal(err)
	}
	<-away.Done()
	if out, err := srv.mosquitto(t, "mosquitto_pub", "-q", "1", "-t", resumeTopic, "-m", `{"value": 30}`); err != nil {
		t.Fatalf("mosquitto_pub: %v %s", err, out)
	}
	srv.awaitPublish(t, resumeTopic, `{"value": 30}`, 1) // queued before the client comes back
	back, ack := mustV5(t, srv.MQTT, connect(), sess)
	if !ack.SessionPresent {
		t.Error("CONNACK SessionPresent = false on return, want true")
	}
	back.subscribe(t, resumeTopic, 1) // fails the test on a refused SUBACK
	m := back.next(t, 5*time.Second)
	if string(m.Payload) != `{"value": 30}` || m.Duplicate() {
		t.Errorf("paho got %q dup=%v, want the queued value with dup=false", m.Payload, m.Duplicate())
	}
}
