package check

import (
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
)

// mosquittoSub runs mosquitto_sub against the lab until the test ends and
// waits until its subscription is in place.
func (lb *lab) mosquittoSub(t *testing.T, id, filter string) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto_sub")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto_sub is missing: apt-get install mosquitto-clients")
		}
		t.Skip("mosquitto_sub not installed (apt-get install mosquitto-clients)")
	}
	host, port, _ := net.SplitHostPort(lb.addr)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-i", id, "-t", filter)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	eventually(t, "mosquitto_sub subscribed", func() bool {
		for _, s := range lb.sb.Sessions() {
			if s.ClientID == id && len(s.Subscriptions) > 0 {
				return true
			}
		}
		return false
	})
}

// The "done when": with mosquitto_sub on sensors/+/value the
// all-device-values check fails and names the actuator; with # it passes.
func TestAllDeviceValuesWithMosquittoSub(t *testing.T) {
	specs := []Spec{spec("received", "device", "ESPDEVICE", "timeout", "2s")}
	lb := newLab(t)
	lb.mosquittoSub(t, "narrow", "devices/ESPDEVICE/sensors/+/value")
	res := lb.e.EvaluateOnce(context.Background(), "all-device-values", lb.sb, specs)
	if res.Passed || res.Summary != `Your client "narrow" received 2 of the 3 fresh values, but your subscription devices/ESPDEVICE/sensors/+/value did not receive devices/ESPDEVICE/actuators/LED/value: an actuator topic is not under sensors/, try devices/ESPDEVICE/#.` {
		t.Fatalf("%+v", res)
	}
	lb = newLab(t)
	lb.mosquittoSub(t, "wide", "devices/ESPDEVICE/#")
	res = lb.e.EvaluateOnce(context.Background(), "all-device-values", lb.sb, specs)
	if !res.Passed || res.Summary != `Your client "wide" received all 3 fresh values of ESPDEVICE.` {
		t.Fatalf("%+v", res)
	}
}
