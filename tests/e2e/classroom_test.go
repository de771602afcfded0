package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// auth is mosquitto's -u/-P for a learner.
func (l *learner) auth() []string { return []string{"-u", l.Lab.Username, "-P", l.Lab.Password} }

// checkJSONError checks an API error: the status, a JSON body and a message
// in it for the learner to read.
func checkJSONError(t *testing.T, what string, status int, body []byte, want int) string {
	t.Helper()
	if status != want {
		t.Errorf("%s: status %d, want %d (%s)", what, status, want, body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || strings.TrimSpace(e.Error) == "" {
		t.Errorf("%s: body %q is not a JSON error with a message", what, body)
	}
	return e.Error
}

// sensorValue reads a sensor's current value through the simulated cloud.
func (s *server) sensorValue(t *testing.T, token, sensor string) string {
	t.Helper()
	status, body := s.get(t, "/api/v2/devices/ESPDEVICE/sensors/"+sensor, token)
	if status != http.StatusOK {
		t.Fatalf("GET sensor %s: %d %s", sensor, status, body)
	}
	var got struct {
		Value struct {
			Value json.RawMessage `json:"value"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("GET sensor %s: %v\n%s", sensor, err, body)
	}
	return string(got.Value.Value)
}

// TestClassroomLearnersOnlySeeTheirOwnSandbox: two learners who joined
// through /join each reach their own sandbox with their own credentials.
// The same topic published in both never crosses over, over MQTT or through
// the REST API with each one's bearer token, and each one's cloud model
// holds only their own values.
func TestClassroomLearnersOnlySeeTheirOwnSandbox(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada, bob := srv.join(t, "Ada"), srv.join(t, "Bob")
	if ada.Lab.Username == bob.Lab.Username || ada.Lab.Password == bob.Lab.Password || ada.Lab.Token == bob.Lab.Token {
		t.Fatalf("two learners share credentials: %+v %+v", ada.Lab, bob.Lab)
	}
	subA := srv.startSub(t, append(ada.auth(), "-t", "devices/#", "-v")...)
	subB := srv.startSub(t, append(bob.auth(), "-t", "devices/#", "-v")...)

	t.Run("mosquitto_pub on the same topic", func(t *testing.T) {
		for _, p := range []struct {
			l   *learner
			msg string
		}{{ada, `{"value":1}`}, {bob, `{"value":2}`}} {
			if out, err := srv.mosquitto(t, "mosquitto_pub", append(p.l.auth(), "-t", seedTC, "-m", p.msg)...); err != nil {
				t.Fatalf("mosquitto_pub as %s: %v\n%s", p.l.Name, err, out)
			}
		}
		if line := subA.next(t); line != seedTC+` {"value":1}` {
			t.Errorf("Ada's subscriber got %q, want her own message", line)
		}
		if line := subB.next(t); line != seedTC+` {"value":2}` {
			t.Errorf("Bob's subscriber got %q, want his own message", line)
		}
		subA.quiet(t, 300*time.Millisecond)
		subB.quiet(t, 0)
	})

	t.Run("the seed's curl line with a bearer token", func(t *testing.T) {
		status, body := srv.post(t, seedPath, ada.Lab.Token, seedBody)
		if status >= 300 {
			t.Fatalf("POST %s with Ada's token: %d %s", seedPath, status, body)
		}
		topic, payload := splitMessage(t, subA.next(t))
		if topic != seedTC {
			t.Errorf("topic %q, want %q", topic, seedTC)
		}
		checkCloudPayload(t, payload, "25")
		subB.quiet(t, 300*time.Millisecond)
		if v := srv.sensorValue(t, ada.Lab.Token, "TC"); v != "25" {
			t.Errorf("Ada's sensor TC = %s, want 25", v)
		}
		if v := srv.sensorValue(t, bob.Lab.Token, "TC"); v != "2" {
			t.Errorf("Bob's sensor TC = %s, want 2 (his own MQTT publish, not Ada's curl)", v)
		}
	})

	t.Run("the REST API without a valid token", func(t *testing.T) {
		status, body := srv.post(t, seedPath, "", seedBody)
		checkJSONError(t, "POST without a token", status, body, http.StatusUnauthorized)
		status, body = srv.post(t, seedPath, "not-a-token", seedBody)
		checkJSONError(t, "POST with a wrong token", status, body, http.StatusUnauthorized)
		status, body = srv.get(t, "/api/v2/devices", "")
		checkJSONError(t, "GET /api/v2/devices without a token", status, body, http.StatusUnauthorized)
		subA.quiet(t, 300*time.Millisecond)
		subB.quiet(t, 0)
	})

	t.Run("MQTT.js over WebSocket with the learner's credentials", func(t *testing.T) {
		events := mqttjs(t, bob.Lab.WSURL, seedTC, bob.Lab.Username, bob.Lab.Password)
		await(t, events, "connect")
		await(t, events, "subscribed")
		if status, body := srv.post(t, seedPath, bob.Lab.Token, `{ "value": 31}`); status >= 300 {
			t.Fatalf("POST with Bob's token: %d %s", status, body)
		}
		e := await(t, events, "message")
		checkCloudPayload(t, e.Payload, "31")
		if line := subB.next(t); !strings.Contains(line, `"value":31`) {
			t.Errorf("Bob's mosquitto_sub got %q, want value 31", line)
		}
		subA.quiet(t, 300*time.Millisecond)
	})
}

// TestClassroomRefusesAnonymousAndWrongPasswordConnects: without credentials
// or with a wrong password the CONNECT is refused with the protocol's code
// (MQTT 3: 0x05 not authorised, 0x04 bad user name or password; MQTT 5:
// 0x87 or 0x86) and a message a client prints.
func TestClassroomRefusesAnonymousAndWrongPasswordConnects(t *testing.T) {
	t.Parallel()
	srv := startServer(t, true)
	ada := srv.join(t, "Ada")

	for _, tc := range []struct {
		name string
		args []string
		want string // in mosquitto_sub's output, lower case
	}{
		{"anonymous MQTT 3.1.1", []string{"-V", "mqttv311"}, "not authori"},
		{"anonymous MQTT 3.1", []string{"-V", "mqttv31"}, "not authori"},
		{"anonymous MQTT 5", []string{"-V", "mqttv5"}, "not authori"},
		{"wrong password MQTT 3.1.1", []string{"-V", "mqttv311", "-u", ada.Lab.Username, "-P", "wrong"}, "bad user name or password"},
		{"wrong password MQTT 5", []string{"-V", "mqttv5", "-u", ada.Lab.Username, "-P", "wrong"}, "bad user name or password"},
	} {
		t.Run("mosquitto_sub "+tc.name, func(t *testing.T) {
			out, err := srv.mosquitto(t, "mosquitto_sub", append(tc.args, "-t", "devices/#", "-C", "1", "-W", "5")...)
			if err == nil {
				t.Errorf("mosquitto_sub exited 0, want a refusal:\n%s", out)
			}
			if !strings.Contains(strings.ToLower(out), tc.want) {
				t.Errorf("mosquitto_sub said %q, want %q in it", out, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name  string
		cp    *paho.Connect
		codes []byte
	}{
		{"anonymous", &paho.Connect{ClientID: "anon", CleanStart: true}, []byte{0x87, 0x86}},
		{"wrong password", &paho.Connect{ClientID: "wrong", CleanStart: true, UsernameFlag: true, Username: ada.Lab.Username,
			PasswordFlag: true, Password: []byte("wrong")}, []byte{0x86}},
		{"unknown user", &paho.Connect{ClientID: "nobody", CleanStart: true, UsernameFlag: true, Username: "nobody",
			PasswordFlag: true, Password: []byte(ada.Lab.Password)}, []byte{0x86}},
	} {
		t.Run("paho MQTT 5 "+tc.name, func(t *testing.T) {
			_, ack, err := dialV5(t, srv.MQTT, tc.cp, nil)
			if err == nil {
				t.Fatal("connected, want a refusal")
			}
			if ack == nil {
				t.Fatalf("no CONNACK, want one with a reason code: %v", err)
			}
			if !slices.Contains(tc.codes, ack.ReasonCode) {
				t.Errorf("CONNACK reason code 0x%02x, want one of % x", ack.ReasonCode, tc.codes)
			}
			if ack.Properties == nil || ack.Properties.ReasonString == "" {
				t.Errorf("CONNACK 0x%02x has no reason string for the learner", ack.ReasonCode)
			}
		})
	}

	t.Run("the right password gets in", func(t *testing.T) {
		mustV5(t, srv.MQTT, &paho.Connect{ClientID: "ada", CleanStart: true, UsernameFlag: true, Username: ada.Lab.Username,
			PasswordFlag: true, Password: []byte(ada.Lab.Password)}, nil)
	})
}
