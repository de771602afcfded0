package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

// TestRESTNamesAnMQTTPublishAsTheMistake: "Your value on your page" asks
// for the REST API; a learner who published the value with mosquitto_pub
// is told that this publish is the mistake.
func TestRESTNamesAnMQTTPublishAsTheMistake(t *testing.T) {
	lb := newLab(t).withAPI(t)
	lb.v5(t, "mosq-pub").Pub(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 25}`, 0, false)
	lb.journaled(t, 1, labs.KindPublish, "devices/ESPDEVICE/sensors/TC/value")
	wantFail(t, lb.check(t, "rest", "method", "POST", "path", "/api/v2/devices/+/sensors/TC/value"),
		`You have not called the REST API of your sandbox yet: your client "mosq-pub" published on devices/ESPDEVICE/sensors/TC/value over MQTT instead`,
		"make POST /api/v2/devices/+/sensors/TC/value (the course's curl line)")

	// A publish elsewhere is not the mistake to talk about.
	lb2 := newLab(t).withAPI(t)
	lb2.v5(t, "other").Pub(t, "devices/GARDEN/sensors/TC/value", `{"value": 25}`, 0, false)
	lb2.journaled(t, 1, labs.KindPublish, "devices/GARDEN/sensors/TC/value")
	d := lb2.check(t, "rest", "method", "POST", "path", "/api/v2/devices/ESPDEVICE/sensors/TC/value")
	wantFail(t, d, "You have not called the REST API of your sandbox yet: make POST")
}
