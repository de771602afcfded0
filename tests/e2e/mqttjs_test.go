package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// mqttjsDir holds package.json, the lock file and the node scripts.
var mqttjsDir = filepath.Join(repoRoot, "tests", "mqttjs")

// jsEvent is one JSON line printed by tests/mqttjs/subscribe.js.
type jsEvent struct {
	Event   string `json:"event"`
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
	Retain  bool   `json:"retain"`
	Message string `json:"message"`
}

// mqttjs runs tests/mqttjs/subscribe.js (MQTT.js under node) against url
// and returns its events as they come; the script ends after one message.
func mqttjs(t *testing.T, url, topic string, auth ...string) <-chan jsEvent {
	t.Helper()
	node := tool(t, "node", "apt-get install -y nodejs npm")
	if _, err := os.Stat(filepath.Join(mqttjsDir, "node_modules", "mqtt", "package.json")); err != nil {
		missing(t, "MQTT.js", "cd tests/mqttjs && npm ci")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	args := append([]string{filepath.Join(mqttjsDir, "subscribe.js"), url, topic, "1"}, auth...)
	cmd := exec.CommandContext(ctx, node, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan jsEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e jsEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = jsEvent{Event: "error", Message: "not a JSON line: " + sc.Text()}
			}
			events <- e
		}
		if err := cmd.Wait(); err != nil {
			events <- jsEvent{Event: "error", Message: "node: " + err.Error() + ": " + stderr.String()}
		}
		close(events)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return events
}

// await reads events until one of kind want; an error event fails the test.
func await(t *testing.T, events <-chan jsEvent, want string) jsEvent {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e, ok := <-events:
			switch {
			case !ok:
				t.Fatalf("MQTT.js ended before %q", want)
			case e.Event == "error":
				t.Fatalf("MQTT.js: %s (waiting for %q)", e.Message, want)
			case e.Event == want:
				return e
			}
		case <-timeout:
			t.Fatalf("MQTT.js: no %q within 15 s", want)
		}
	}
}

// TestMQTTJSOverTCPAndWebSocketReceivesTheCurlValue proves the course's
// MQTT.js code works with only the host changed: mqtt.connect over TCP (a
// Node app) and over WebSocket at /mqtt (a browser app) both receive the
// value the seed's curl line pushes.
func TestMQTTJSOverTCPAndWebSocketReceivesTheCurlValue(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	lab := srv.join(t, "personal")
	for _, tc := range []struct{ name, url string }{
		{"tcp", "mqtt://" + srv.MQTT},
		{"websocket", "ws://" + srv.HTTP + "/mqtt"},
		{"mqtt_url from /api/lab", lab.Lab.MQTTURL},
		{"ws_url from /api/lab", lab.Lab.WSURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := mqttjs(t, tc.url, seedTC)
			await(t, events, "connect")
			await(t, events, "subscribed")
			if status, body := srv.post(t, seedPath, "", seedBody); status >= 300 {
				t.Fatalf("POST %s: %d %s", seedPath, status, body)
			}
			e := await(t, events, "message")
			if e.Topic != seedTC {
				t.Errorf("MQTT.js got topic %q, want %q", e.Topic, seedTC)
			}
			checkCloudPayload(t, e.Payload, "25")
		})
	}
}
