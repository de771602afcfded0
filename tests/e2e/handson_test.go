package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// The course's curl line (seed/mqtt-apis-course.md), with only the host to change.
const (
	seedPath = "/api/v2/devices/ESPDEVICE/sensors/TC/value"
	seedBody = `{ "value": 25}`
	seedTC   = "devices/ESPDEVICE/sensors/TC/value"
)

// checkCloudPayload checks a payload the simulated cloud published: exactly
// {"value":…,"timestamp":…,"date_received":…}, the value as sent (25 stays
// 25), both times RFC 3339 and recent.
func checkCloudPayload(t *testing.T, payload, wantValue string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", payload, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "date_received,timestamp,value" {
		t.Errorf("payload %s has keys %v, want value, timestamp, date_received", payload, keys)
	}
	if got, _ := json.Marshal(m["value"]); string(got) != wantValue {
		t.Errorf("payload %s: value %s, want %s", payload, got, wantValue)
	}
	for _, k := range []string{"timestamp", "date_received"} {
		s, _ := m[k].(string)
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Errorf("payload %s: %s %q is not an RFC 3339 time", payload, k, m[k])
			continue
		}
		if d := time.Since(ts); d < -time.Minute || d > time.Minute {
			t.Errorf("payload %s: %s is %v away from now", payload, k, d)
		}
	}
}

// TestPersonalModeDevicesWildcardShowsWhatCurlAndMosquittoPubSend is the
// issue's "done when" for a new user: mosquitto_sub -t 'devices/#' -v shows
// what the course's exact curl line and mosquitto_pub send, and sensors and
// actuators alike reach the wildcard.
func TestPersonalModeDevicesWildcardShowsWhatCurlAndMosquittoPubSend(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	sub := srv.startSub(t, "-t", "devices/#", "-v")

	t.Run("the seed's request from net/http", func(t *testing.T) {
		status, body := srv.post(t, seedPath, "", seedBody)
		if status != http.StatusOK && status != http.StatusCreated && status != http.StatusNoContent {
			t.Fatalf("POST %s: %d %s", seedPath, status, body)
		}
		topic, payload := splitMessage(t, sub.next(t))
		if topic != seedTC {
			t.Errorf("topic %q, want %q", topic, seedTC)
		}
		checkCloudPayload(t, payload, "25")
	})

	t.Run("the seed's curl line from the curl binary", func(t *testing.T) {
		curl := tool(t, "curl", "apt-get install -y curl")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Word for word the course's line, host and scheme changed.
		cmd := exec.CommandContext(ctx, curl, "-sS", "-X", "POST", srv.Base+seedPath,
			"-H", "accept: application/json;charset=utf-8",
			"-H", "Content-Type: application/json;charset=utf-8",
			"-d", "{ \"value\": 25}")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl: %v\n%s%s", err, out, stderr.String())
		}
		checkCloudPayload(t, string(out), "25") // the cloud answers with what it stored
		topic, payload := splitMessage(t, sub.next(t))
		if topic != seedTC {
			t.Errorf("topic %q, want %q", topic, seedTC)
		}
		checkCloudPayload(t, payload, "25")
	})

	t.Run("an actuator value", func(t *testing.T) {
		const path = "/api/v2/devices/ESPDEVICE/actuators/LED/value"
		if status, body := srv.post(t, path, "", `{"value": true}`); status >= 300 {
			t.Fatalf("POST %s: %d %s", path, status, body)
		}
		topic, payload := splitMessage(t, sub.next(t))
		if topic != "devices/ESPDEVICE/actuators/LED/value" {
			t.Errorf("topic %q, want devices/ESPDEVICE/actuators/LED/value", topic)
		}
		checkCloudPayload(t, payload, "true")
	})

	t.Run("mosquitto_pub, which also updates the cloud's sensor", func(t *testing.T) {
		const msg = `{"value":27}`
		if out, err := srv.mosquitto(t, "mosquitto_pub", "-t", seedTC, "-m", msg); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
		if line := sub.next(t); line != seedTC+" "+msg {
			t.Errorf("mosquitto_sub printed %q, want %q", line, seedTC+" "+msg)
		}
		// "an MQTT publish by the learner on devices/{d}/sensors/{s}/value
		// updates the same model"
		deadline := time.Now().Add(3 * time.Second)
		for {
			status, body := srv.get(t, "/api/v2/devices/ESPDEVICE/sensors/TC", "")
			var got struct {
				Value struct {
					Value json.Number `json:"value"`
				} `json:"value"`
			}
			_ = json.Unmarshal(body, &got)
			if status == http.StatusOK && got.Value.Value == "27" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET sensor TC after the MQTT publish: %d %s, want its value 27", status, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestMQTT31And311ClientsSubscribeAndPublish proves the front is transparent
// to older protocol versions: mosquitto_sub and mosquitto_pub speaking MQTT
// 3.1 (MQIsdp) and 3.1.1 get through to the sandbox broker, as does MQTT 5.
func TestMQTT31And311ClientsSubscribeAndPublish(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	for _, v := range []string{"mqttv31", "mqttv311", "mqttv5"} {
		t.Run(v, func(t *testing.T) {
			topic := "course/versions/" + v
			sub := srv.startSub(t, "-V", v, "-t", topic, "-v")
			if out, err := srv.mosquitto(t, "mosquitto_pub", "-V", v, "-t", topic, "-m", "hello "+v); err != nil {
				t.Fatalf("mosquitto_pub -V %s: %v\n%s", v, err, out)
			}
			if line := sub.next(t); line != topic+" hello "+v {
				t.Errorf("mosquitto_sub -V %s printed %q, want %q", v, line, topic+" hello "+v)
			}
		})
	}
}
