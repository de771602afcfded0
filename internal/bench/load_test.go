package bench

import (
	"testing"
	"time"
)

// TestClockReadsBothPayloadsAndIgnoresOthers: a subscriber's clock finds
// the sequence number in a bare MQTT payload and in the cloud's JSON value,
// and ignores what it did not send (a simulator's value, a number it never
// sent, garbage).
func TestClockReadsBothPayloadsAndIgnoresOthers(t *testing.T) {
	c := newClock(4)
	c.sentAt[1].Store(time.Now().Add(-time.Millisecond).UnixNano())
	c.sentAt[2].Store(time.Now().Add(-time.Millisecond).UnixNano())
	for _, p := range []string{"1000000001", `{"value":1000000002,"timestamp":"2026-12-04T17:00:00Z"}`, "1000000003", "1000000099", `{"value":2}`, "1", "x", ""} {
		c.receive([]byte(p))
	}
	if got := c.got.Load(); got != 2 {
		t.Fatalf("counted %d messages, want 2 (seq 1 and 2)", got)
	}
	for _, l := range c.lat {
		if l < time.Millisecond || l > time.Minute {
			t.Errorf("latency %v, want about 1 ms", l)
		}
	}
}

// TestPercentilesOfAResult: p50, p99 and max of a sorted sample.
func TestPercentilesOfAResult(t *testing.T) {
	r := &result{}
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	if p := r.percentile(0.5); p != 51*time.Millisecond {
		t.Errorf("p50 %v", p)
	}
	if p := r.percentile(0.99); p != 100*time.Millisecond {
		t.Errorf("p99 %v", p)
	}
	if p := r.percentile(1); p != 100*time.Millisecond {
		t.Errorf("max %v", p)
	}
}
