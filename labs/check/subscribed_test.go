package check

import "testing"

func TestSubscribedPassesWithAMatchingFilterAndQoS(t *testing.T) {
	lb := newLab(t)
	c := lb.v5(t, "sub")
	c.Sub(t, "devices/ESPDEVICE/#", 1)
	wantPass(t, lb.check(t, "subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value, devices/ESPDEVICE/actuators/LED/value", "qos", "1"),
		`Your client "sub" is subscribed to devices/ESPDEVICE/#, which covers`)
}

func TestSubscribedFailsWithTheWrongFilter(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "sub").Sub(t, "devices/ESPDEVICE/sensors/+", 0)
	wantFail(t, lb.check(t, "subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "sub" subscribed to devices/ESPDEVICE/sensors/+, which does not match devices/ESPDEVICE/sensors/TC/value: + matches exactly one level`,
		"subscribe to devices/ESPDEVICE/sensors/TC/value.")
}

func TestSubscribedFailsWhenTheQoSIsTooLow(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "sub").Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	wantFail(t, lb.check(t, "subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value", "qos", "1"),
		`Your client "sub" subscribed to devices/ESPDEVICE/sensors/TC/value with QoS 0; this exercise needs at least QoS 1: subscribe again with QoS 1 (mosquitto_sub -q 1).`)
}

func TestSubscribedCountsOnlyConnectedClients(t *testing.T) {
	lb := newLab(t)
	r := lb.raw3(t, "gone", false, "")
	subscribe3(t, r, "devices/#", 1)
	lb.disconnect3(t, r, "gone")
	wantFail(t, lb.check(t, "subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value"), "No client of yours is connected")
}
