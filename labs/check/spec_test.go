package check

import (
	"errors"
	"strings"
	"testing"
)

func TestSpecValidation(t *testing.T) {
	good := []Spec{
		spec("received", "device", "ESPDEVICE"),
		spec("received", "topics", "a/b, c/d", "qos", "1", "timeout", "2s"),
		spec("received", "device", "ESPDEVICE", "timeout", "5"),
		spec("subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value", "qos", "2"),
		spec("published", "topic", "devices/+/sensors/#", "field", "value", "payload", `^\{`, "qos", "1", "retain", "false"),
		spec("rest", "method", "post", "path", "devices/+/sensors/TC/value"),
		spec("delivered", "topic", "devices/ESPDEVICE/sensors/TC/value", "source", "rest"),
		spec("will", "topic", "devices/+/status"),
		spec("persistent-session", "topic", "devices/ESPDEVICE/#", "timeout", "30s"),
		spec("qos2", "topic", "lab/#", "direction", "receive"),
		spec("retained", "topic", "devices/ESPDEVICE/status", "payload", "online"),
	}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("%s %v: %v", s.Type, s.Args, err)
		}
	}
	bad := []struct {
		s    Spec
		want string
	}{
		{spec("recieved"), `line 7: unknown check type "recieved"; known types: delivered, persistent-session`},
		{spec("received"), "needs device=ID"},
		{spec("received", "device", "ESPDEVICE", "topics", "a"), "not both"},
		{spec("received", "device", "ESP DEVICE"), "is not a device id"},
		{spec("received", "topics", "a/+"), "is a filter"},
		{spec("received", "topics", " , "), "give at least one topic"},
		{spec("received", "device", "X", "qos", "3"), `qos "3": must be 0, 1 or 2`},
		{spec("received", "device", "X", "timeout", "soon"), "write a duration like 10s"},
		{spec("received", "device", "X", "timeout", "1h"), "at most 2m0s"},
		{spec("received", "device", "X", "topic", "a"), `line 7: check "received": unknown attribute "topic"; it takes device, topics, qos, timeout`},
		{spec("subscribed"), "topics: give at least one topic"},
		{spec("published", "topic", "a/#/b"), "# must be the last level"},
		{spec("published", "topic", "a/b+"), "must fill a whole level"},
		{spec("published", "topic", "a", "payload", "("), "not a valid regular expression"},
		{spec("published", "topic", "a", "retain", "yes"), `retain "yes": must be one of true, false`},
		{spec("published", "topic", "a", "field", ""), "field is empty"},
		{spec("rest"), "needs path"},
		{spec("rest", "path", "/a", "method", "FETCH"), "must be GET, POST"},
		{spec("rest", "path", "/a?b=1"), "without query"},
		{spec("delivered", "topic", "a", "source", "http"), "must be one of rest, mqtt, any"},
		{spec("will"), "empty topic filter"},
		{spec("persistent-session", "topic", "a", "timeout", "0s"), "must be above 0"},
		{spec("qos2", "topic", "a", "direction", "both"), "must be one of publish, receive, any"},
		{spec("retained", "topic", "a/#"), "a retained message sits on one exact topic"},
	}
	for _, tc := range bad {
		err := tc.s.Validate()
		var se *SpecError
		if !errors.As(err, &se) || se.Line != 7 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: got %v, want %q", tc.s.Type, tc.s.Args, err, tc.want)
		}
	}
	if len(Types()) != 9 || Attributes("will")[0] != "topic" || Attributes("nope") != nil {
		t.Fatalf("types %v", Types())
	}
}
