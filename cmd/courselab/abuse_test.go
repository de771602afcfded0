//go:build linux

package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/courselab/courselab/internal/abuse"
	"github.com/courselab/courselab/internal/config"
)

// startClassroom runs the serve command's own wiring (listeners, caps,
// timeouts) in this process on free loopback ports, and returns the HTTP and
// MQTT addresses it printed.
func startClassroom(t *testing.T, extra ...string) (httpAddr, mqttAddr string) {
	t.Helper()
	args := append([]string{"--classroom", "--addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
		"--data", t.TempDir(), "--instructor-token", "abuse-test"}, extra...)
	cfg, err := config.Parse(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveUntilDone(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), pw)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	serving := regexp.MustCompile(`on http://(\S+)`)
	mqtt := regexp.MustCompile(`MQTT on mqtt://(\S+)`)
	sc := bufio.NewScanner(pr)
	for (httpAddr == "" || mqttAddr == "") && sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil && httpAddr == "" {
			httpAddr = m[1]
		}
		if m := mqtt.FindStringSubmatch(sc.Text()); m != nil {
			mqttAddr = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if httpAddr == "" || mqttAddr == "" {
		t.Fatalf("the server did not say where it listens (err %v)", <-done)
	}
	return httpAddr, mqttAddr
}

// Issue 9's slow-body attack, scaled down (cmd/courselab-load runs it at
// 20,000 + 5,000): slow POST /join bodies from 8 addresses and idle MQTT
// sockets from 2, over both caps, while a learner who joined before goes on
// reading and pressing Check from an address of their own.
func TestSlowBodiesAndIdleMQTTDoNotLockOutALearner(t *testing.T) {
	if testing.Short() {
		t.Skip("opens about 2,000 loopback connections; skipped with -short")
	}
	httpAddr, mqttAddr := startClassroom(t, "--max-conns", "600", "--max-conns-per-addr", "100")
	s := abuse.Scenario{
		HTTP: httpAddr, MQTT: mqttAddr,
		SlowBodies: 1200, SlowSources: 8, // 150 each: over the per-address cap, and over the total together
		IdleMQTT: 400, MQTTSources: 2,
		Trickle: time.Second, Retry: time.Second, Ramp: 2 * time.Second,
		Duration: 5 * time.Second, Every: 200 * time.Millisecond,
		Section: "/courses/mqtt_course/introduction",
		Check:   "/api/courses/mqtt_course/exercises/qos-levels/check",
		Learner: netip.MustParseAddr("127.3.0.1"),
	}
	r, err := s.Run(context.Background(), testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	for what, sum := range map[string]abuse.Summary{"section page": r.Page, "Check": r.Chk} {
		if sum.N == 0 || sum.Failed > 0 || sum.Max >= 2*time.Second {
			t.Errorf("learner's %s under attack: %v; want every one answered in under 2s", what, sum)
		}
	}
	// Without the caps every connection is held and none refused.
	if r.Slow.Refused.Load() == 0 {
		t.Errorf("slow bodies: %v; want some refused by the caps", r.Slow)
	}
	if r.MQTT.Refused.Load() == 0 {
		t.Errorf("idle MQTT: %v; want some refused by the per-address cap", r.MQTT)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }
