package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestRESTPassesOnTheCourseCall(t *testing.T) {
	lb := newLab(t).withAPI(t)
	if code := lb.call(t, "POST", "/api/v2/devices/ESPDEVICE/sensors/TC/value", `{"value": 25}`); code != 200 {
		t.Fatalf("POST: %d", code)
	}
	lb.journaled(t, 1, labs.KindREST, "")
	wantPass(t, lb.check(t, "rest", "method", "POST", "path", "/devices/+/sensors/TC/value"),
		"You called POST /api/v2/devices/ESPDEVICE/sensors/TC/value and it worked.")
}

func TestRESTFailsOnTheWrongMethodAndOnErrors(t *testing.T) {
	lb := newLab(t).withAPI(t)
	wantFail(t, lb.check(t, "rest", "method", "POST", "path", "/api/v2/devices/ESPDEVICE/sensors/TC/value"),
		"You have not called the REST API of your sandbox yet")
	lb.call(t, "GET", "/api/v2/devices", "")
	lb.journaled(t, 1, labs.KindREST, "")
	wantFail(t, lb.check(t, "rest", "method", "POST", "path", "/api/v2/devices"),
		"You called GET /api/v2/devices, but this exercise needs POST /api/v2/devices: use curl -X POST.")
	lb.call(t, "POST", "/api/v2/devices/ESPDEVICE/sensors/TC/value", `{ value: 25}`)
	lb.journaled(t, 2, labs.KindREST, "")
	wantFail(t, lb.check(t, "rest", "method", "POST", "path", "/api/v2/devices/ESPDEVICE/sensors/TC/value"),
		"Your call POST /api/v2/devices/ESPDEVICE/sensors/TC/value failed with HTTP 400")
}
