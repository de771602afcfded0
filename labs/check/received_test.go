package check

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
)

func TestReceivedPassesWithHashSubscriptionAndCloudAgrees(t *testing.T) {
	lb := newLab(t)
	c := lb.v5(t, "web-1")
	c.Sub(t, "devices/ESPDEVICE/#", 0)
	d := lb.check(t, "received", "device", "ESPDEVICE", "timeout", "2s")
	wantPass(t, d, `Your client "web-1" received all 3 fresh values of ESPDEVICE.`)
	if d.Evidence["client_id"] != "web-1" {
		t.Fatalf("evidence: %v", d.Evidence)
	}
	// What the client got is what the cloud now says.
	got := map[string]string{}
	for len(got) < 3 {
		m := c.Next(t)
		got[m.Topic] = string(m.Payload)
	}
	led, err := lb.sb.Cloud().Point(labs.Actuators, "ESPDEVICE", "LED")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(led.Value)
	if got["devices/ESPDEVICE/actuators/LED/value"] != string(b) || led.Value.Value != true {
		t.Fatalf("cloud %s, MQTT %s", b, got["devices/ESPDEVICE/actuators/LED/value"])
	}
}

func TestReceivedFailsWithSensorsOnlyFilterAndNamesTheActuator(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "mosq-1").Sub(t, "devices/ESPDEVICE/sensors/+/value", 0)
	start := time.Now()
	d := lb.check(t, "received", "device", "ESPDEVICE", "timeout", "2s")
	wantFail(t, d, `Your client "mosq-1" received 2 of the 3 fresh values, but your subscription devices/ESPDEVICE/sensors/+/value did not receive devices/ESPDEVICE/actuators/LED/value: an actuator topic is not under sensors/, try devices/ESPDEVICE/#.`)
	if time.Since(start) > time.Second {
		t.Errorf("a check that cannot pass should not wait for its timeout: %v", time.Since(start))
	}
	if m := d.Evidence["missed"].([]string); len(m) != 1 || m[0] != "devices/ESPDEVICE/actuators/LED/value" {
		t.Fatalf("missed: %v", m)
	}
}

func TestReceivedFailsWithoutAnyClient(t *testing.T) {
	lb := newLab(t)
	wantFail(t, lb.check(t, "received", "device", "ESPDEVICE"),
		"No client of yours is connected", "devices/ESPDEVICE/#")
}

func TestReceivedFailsWhenTheQoSIsTooLow(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "low").Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	wantFail(t, lb.check(t, "received", "topics", "devices/ESPDEVICE/sensors/TC/value", "qos", "1", "timeout", "2s"),
		`Your client "low" received devices/ESPDEVICE/sensors/TC/value with QoS 0, but this exercise needs at least QoS 1`)
}

func TestReceivedNeedsOneClientForEveryValue(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "a").Sub(t, "devices/ESPDEVICE/sensors/#", 1)
	lb.v5(t, "b").Sub(t, "devices/ESPDEVICE/actuators/#", 1)
	wantFail(t, lb.check(t, "received", "device", "ESPDEVICE", "timeout", "2s"),
		`Your clients "a" and "b" together received all the fresh values, but one client must receive them all`)
}

func TestReceivedOnAnyTopicAndWithNoSubscription(t *testing.T) {
	lb := newLab(t)
	c := lb.v5(t, "x")
	wantFail(t, lb.check(t, "received", "topics", "home/kitchen/temp", "timeout", "2s"),
		`Your client "x" is connected but has no subscription`, "subscribe to home/kitchen/temp")
	c.Sub(t, "home/+/temp", 2)
	wantPass(t, lb.check(t, "received", "topics", "home/kitchen/temp", "qos", "2", "timeout", "2s"),
		`Your client "x" received a fresh value on home/kitchen/temp.`)
}

// TestReceivedWithPlusWildcardProvesThePlus: the plus-wildcard exercise
// (wildcard="+") passes only through one subscription with + and no #; a
// broader tool receives the values too and is told so.
func TestReceivedWithPlusWildcardProvesThePlus(t *testing.T) {
	const topics = "devices/ESPDEVICE/sensors/TC/value,devices/GARDEN/sensors/TC/value"
	for _, tc := range []struct {
		name    string
		filters []string
		pass    bool
		words   []string
	}{
		{"the + of the course", []string{"devices/+/sensors/TC/value"}, true,
			[]string{`Your client "c" received fresh values on all 2 topics.`}},
		{"+ on two levels", []string{"devices/+/sensors/+/value"}, true, nil},
		{"devices/# beside the right one", []string{"devices/#", "devices/+/sensors/TC/value"}, true, nil},
		{"devices/#", []string{"devices/#"}, false,
			[]string{`Your client "c" received the fresh values through devices/#`, "devices/# also receives them", "this exercise is about +", "subscribe to devices/+/sensors/TC/value"}},
		{"devices/+/sensors/TC/#", []string{"devices/+/sensors/TC/#"}, false,
			[]string{"through devices/+/sensors/TC/#", "this exercise is about +"}},
		{"one subscription per device", []string{"devices/ESPDEVICE/sensors/TC/value", "devices/GARDEN/sensors/TC/value"}, false,
			[]string{"through 2 subscriptions", "one subscription and the + wildcard", "subscribe to devices/+/sensors/TC/value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lb := newLab(t)
			c := lb.v5(t, "c")
			for _, f := range tc.filters {
				c.Sub(t, f, 0)
			}
			start := time.Now()
			d := lb.check(t, "received", "topics", topics, "wildcard", "+", "timeout", "10s")
			if tc.pass {
				wantPass(t, d, tc.words...)
				return
			}
			wantFail(t, d, tc.words...)
			if time.Since(start) > 5*time.Second { // far below the timeout, even on a busy machine
				t.Errorf("a check that cannot pass waited %v, towards its 10 s timeout", time.Since(start))
			}
		})
	}
}
