package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestRetainedPassesOnTheLearnersRetainedMessage(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/status", "online", 1, true)
	wantPass(t, lb.check(t, "retained", "topic", "devices/ESPDEVICE/status", "payload", "^online$"),
		`The broker holds the retained message your client "esp" published on devices/ESPDEVICE/status.`)
	wantFail(t, lb.check(t, "retained", "topic", "devices/ESPDEVICE/status", "payload", "^offline$"),
		`The retained message on devices/ESPDEVICE/status is "online", which is not what this exercise expects`)
}

func TestRetainedFailsWithoutTheRetainFlag(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "esp").Pub(t, "devices/ESPDEVICE/status", "online", 1, false)
	lb.journaled(t, 1, labs.KindPublish, "devices/ESPDEVICE/status")
	wantFail(t, lb.check(t, "retained", "topic", "devices/ESPDEVICE/status"),
		"You published on devices/ESPDEVICE/status without the retain flag, so the broker did not keep it: publish again with -r")
}

func TestRetainedDoesNotCountThePlatformsOrADeletedOne(t *testing.T) {
	lb := newLab(t)
	if err := lb.sb.Publish("devices/ESPDEVICE/status", []byte("online"), 0, true); err != nil {
		t.Fatal(err)
	}
	wantFail(t, lb.check(t, "retained", "topic", "devices/ESPDEVICE/status"),
		"The retained message on devices/ESPDEVICE/status was set by the platform, not by you")
	c := lb.v5(t, "esp")
	c.Pub(t, "devices/ESPDEVICE/status", "", 1, true)
	lb.journaled(t, 2, labs.KindPublish, "devices/ESPDEVICE/status") // the platform's, then the learner's
	wantFail(t, lb.check(t, "retained", "topic", "devices/ESPDEVICE/status"),
		"Your latest retained publish on devices/ESPDEVICE/status had an empty message, which deletes the retained message")
}
