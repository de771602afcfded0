package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/courselab/courselab/labs/check/vocab"
)

func TestSpecValidation(t *testing.T) {
	good := []Spec{
		spec("received", "device", "ESPDEVICE"),
		spec("received", "topics", "a/b, c/d", "qos", "1", "timeout", "2s"),
		spec("received", "device", "esp32:a1", "timeout", "5s"),
		spec("subscribed", "topics", "devices/ESPDEVICE/sensors/TC/value", "qos", "2"),
		spec("published", "topic", "devices/+/sensors/#", "field", "value", "payload", `^\{`, "qos", "1", "retain", "false"),
		spec("rest", "method", "post", "path", "/devices/+/sensors/TC/value"),
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
		{spec("recieved"), `line 7: unknown check type "recieved": use one of received, subscribed`},
		{spec("received"), `line 7: check "received": check type "received" needs device or topics`},
		{spec("received", "device", "ESPDEVICE", "topics", "a"), "takes only one of device or topics"},
		{spec("received", "device", "ESP DEVICE"), "not a device id"},
		{spec("received", "topics", "a/+"), "must be exact"},
		{spec("received", "topics", " , "), "the topic is empty"},
		{spec("received", "device", "X", "qos", "3"), `qos="3": the QoS is 0, 1 or 2`},
		{spec("received", "device", "X", "timeout", "soon"), "write a duration such as 20s"},
		{spec("received", "device", "X", "timeout", "1h"), "between 1s and 2m"},
		{spec("received", "device", "X", "topic", "a"), `takes no attribute "topic": use device, topics, qos, timeout or wildcard`},
		{spec("subscribed"), `needs topics="…"`},
		{spec("published", "topic", "a/#/b"), "# must be a whole level, and the last one"},
		{spec("published", "topic", "a/b+"), "+ must be a whole level"},
		{spec("published", "topic", "a", "payload", "("), "not a valid regular expression"},
		{spec("published", "topic", "a", "retain", "yes"), `retain="yes": write true or false`},
		{spec("published", "topic", "a", "field", ""), `field="": use letters, digits`},
		{spec("rest", "method", "GET"), `needs path="…"`},
		{spec("rest", "path", "/a", "method", "FETCH"), "use one of GET, POST, PUT, DELETE"},
		{spec("rest", "method", "GET", "path", "/a?b=1"), "write a path starting with /"},
		{spec("delivered", "topic", "a", "source", "http"), "use one of rest, mqtt, any"},
		{spec("will"), `needs topic="…"`},
		{spec("persistent-session", "topic", "a", "timeout", "0s"), "between 1s and 2m"},
		{spec("qos2", "topic", "a", "direction", "both"), "use one of publish, receive, any"},
		{spec("retained", "topic", "a/#"), "this topic must be exact"},
	}
	for _, tc := range bad {
		err := tc.s.Validate()
		var se *SpecError
		if !errors.As(err, &se) || se.Line != 7 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: got %v, want %q", tc.s.Type, tc.s.Args, err, tc.want)
		}
	}
}

// TestEveryCheckTypeHasAnEvaluator: a type added to the vocabulary (and so
// accepted by lint) must have an evaluator here, and the engine runs no type
// the vocabulary does not define.
func TestEveryCheckTypeHasAnEvaluator(t *testing.T) {
	for _, name := range vocab.Names {
		if parsers[name] == nil {
			t.Errorf("check type %q is in the vocabulary but has no evaluator", name)
		}
	}
	for name := range parsers {
		if _, ok := vocab.Types[name]; !ok {
			t.Errorf("evaluator %q has no entry in the vocabulary", name)
		}
	}
}
