package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestPublishedPassesOnTheLearnersPublish(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 22.5}`, 1, false)
	lb.journaled(t, 1, labs.KindPublish, "")
	wantPass(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/+/value", "field", "value", "qos", "1"),
		`Your client "esp" published on devices/ESPDEVICE/sensors/TC/value with QoS 1 and a "value" field.`)
}

func TestPublishedFailsOnQoSTooLowNamingTheAttempt(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 22.5}`, 0, false)
	lb.journaled(t, 1, labs.KindPublish, "")
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value", "qos", "1"),
		"You published on devices/ESPDEVICE/sensors/TC/value with QoS 0; publish with QoS 1 (mosquitto_pub -q 1).")
}

func TestPublishedDoesNotCountThePlatform(t *testing.T) {
	lb := newLab(t)
	sub := lb.v5(t, "sub")
	sub.Sub(t, "#", 0)
	if _, err := lb.sb.Cloud().PostSensorValue("ESPDEVICE", "TC", 25); err != nil {
		t.Fatal(err)
	}
	sub.Next(t)
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		"Only the platform", "publish from your own MQTT client")
}

func TestPublishedFieldPayloadRetainAndTopic(t *testing.T) {
	lb := newLab(t)
	c := lb.v5(t, "esp")
	c.Pub(t, "devices/ESPDEVICE/sensors/TC", `21`, 0, false)
	lb.journaled(t, 1, labs.KindPublish, "")
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		"Your latest publish went to devices/ESPDEVICE/sensors/TC, which does not match devices/ESPDEVICE/sensors/TC/value")
	c.Pub(t, "devices/ESPDEVICE/sensors/TC/value", `21`, 0, false)
	lb.journaled(t, 2, labs.KindPublish, "")
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value", "field", "value"),
		"is not a JSON object", `{"value": 21.5}`)
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value", "payload", `^\{`),
		`was "21", which is not what this exercise expects`)
	wantFail(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value", "retain", "true"),
		"without the retain flag")
	wantPass(t, lb.check(t, "published", "topic", "devices/ESPDEVICE/sensors/TC/value", "payload", `^\d+$`, "retain", "false"))
}
