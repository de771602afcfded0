package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestDeliveredPassesForTheHandsOnExercise(t *testing.T) {
	lb := newLab(t).withAPI(t)
	sub := lb.v5(t, "mqtt-sub")
	sub.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	if code := lb.call(t, "POST", "/api/v2/devices/ESPDEVICE/sensors/TC/value", `{ "value": 25}`); code != 200 {
		t.Fatalf("POST: %d", code)
	}
	sub.Next(t)
	lb.journaled(t, 1, labs.KindREST, "")
	lb.journaledDelivery(t, "mqtt-sub", "devices/ESPDEVICE/sensors/TC/value") // written after the packet went out
	wantPass(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/TC/value", "source", "rest"),
		`Your client "mqtt-sub" received the value you sent through the REST API on devices/ESPDEVICE/sensors/TC/value.`)
}

func TestDeliveredFailsWhenNobodyWasSubscribedYet(t *testing.T) {
	lb := newLab(t).withAPI(t)
	lb.call(t, "POST", "/api/v2/devices/ESPDEVICE/sensors/TC/value", `{"value": 25}`)
	lb.journaled(t, 1, labs.KindREST, "")
	wantFail(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/TC/value", "source", "rest"),
		"You sent a value to devices/ESPDEVICE/sensors/TC/value at", "but no client of yours was subscribed to receive it: start a subscriber first")
	lb.v5(t, "late").Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	wantFail(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/TC/value", "source", "rest"),
		`your client "late" is subscribed now, so send the value again`)
}

func TestDeliveredDoesNotCountPlatformValues(t *testing.T) {
	lb := newLab(t)
	sub := lb.v5(t, "sub")
	sub.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	if _, err := lb.sb.Cloud().PostSensorValue("ESPDEVICE", "TC", 19.5); err != nil { // as the simulator does
		t.Fatal(err)
	}
	sub.Next(t)
	lb.journaled(t, 1, labs.KindDeliver, "")
	wantFail(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/TC/value"),
		`Your client "sub" received values on devices/ESPDEVICE/sensors/TC/value, but they came from the platform`)
}

func TestDeliveredCountsALearnerMQTTPublish(t *testing.T) {
	lb := newLab(t)
	sub := lb.v5(t, "sub")
	sub.Sub(t, "devices/ESPDEVICE/sensors/#", 1)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/sensors/TC/value", `{"value": 23}`, 1, false)
	// The broker journals the publish and its delivery on different
	// goroutines, and the subscription may first bring retained platform
	// values: wait for the learner's own publish and its delivery to sub.
	eventually(t, "esp's publish and its delivery to sub in the journal", func() bool {
		published, delivered := false, false
		for _, e := range lb.sb.Journal().Since(0) {
			published = published || e.Kind == labs.KindPublish && e.ClientID == "esp"
			delivered = delivered || e.Kind == labs.KindDeliver && e.ClientID == "sub" && e.Payload == `{"value": 23}`
		}
		return published && delivered
	})
	wantPass(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/+/value", "source", "mqtt"),
		`Your client "sub" received the value your client "esp" published on devices/ESPDEVICE/sensors/TC/value.`)
	wantFail(t, lb.check(t, "delivered", "topic", "devices/ESPDEVICE/sensors/+/value", "source", "rest"),
		"You have not sent a value to a topic matching devices/ESPDEVICE/sensors/+/value yet")
}
