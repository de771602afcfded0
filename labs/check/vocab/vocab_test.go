package vocab

import (
	"strings"
	"testing"
)

func TestCheckVocabulary(t *testing.T) {
	if len(Names) != len(Types) {
		t.Errorf("Names lists %d types, Types has %d", len(Names), len(Types))
	}
	for _, name := range Names {
		ct, ok := Types[name]
		if !ok || ct.Summary == "" {
			t.Errorf("check type %q missing or without summary", name)
			continue
		}
		for _, a := range ct.Attributes() {
			if v, ok := ct.Values[a]; !ok || v.Kind == "" || v.Summary == "" {
				t.Errorf("%s: attribute %q has no value description", name, a)
			}
		}
	}
	tests := []struct {
		typ  string
		args map[string]string
		errs []string
	}{
		{"received", map[string]string{"device": "ESPDEVICE"}, nil},
		{"received", map[string]string{"topics": "a/b, c/d", "qos": "1", "timeout": "20s"}, nil},
		{"received", map[string]string{"topics": "a/+"}, []string{"must be exact"}},
		{"subscribed", map[string]string{"topics": "devices/ESPDEVICE/sensors/TC/value", "qos": "2"}, nil},
		{"published", map[string]string{"topic": "devices/+/sensors/#", "field": "value", "payload": `^\{.*\}$`, "retain": "TRUE"}, nil},
		{"published", map[string]string{"topic": "a/b#"}, []string{"# must be a whole level"}},
		{"rest", map[string]string{"method": "get", "path": "/api/v2/devices/+"}, nil},
		{"rest", map[string]string{"method": "GET", "path": "/api/v2/dev+"}, []string{"whole path segment"}},
		{"rest", map[string]string{}, []string{`needs method=`, `needs path=`}},
		{"delivered", map[string]string{"topic": "x", "source": "carrier-pigeon"}, []string{"use one of rest, mqtt, any"}},
		{"will", map[string]string{"topic": "devices/ESPDEVICE/status"}, nil},
		{"persistent-session", map[string]string{"topic": "x", "timeout": "soon"}, []string{"duration such as 20s"}},
		{"qos2", map[string]string{"topic": "x", "direction": "publish"}, nil},
		{"retained", map[string]string{"topic": "x", "payload": "("}, []string{"not a valid regular expression"}},
		{"received", map[string]string{"device": "esp32:a1:b2"}, nil},
		{"published", map[string]string{"topic": "a/b+/#"}, []string{"+ must be a whole level"}},
		{"published", map[string]string{"topic": "#/a"}, []string{"# must be a whole level, and the last one"}},
		{"published", map[string]string{"topic": "+/#"}, nil},
		{"received", map[string]string{"device": "ESP DEVICE"}, []string{"not a device id"}},
		{"received", map[string]string{"device": "X", "topics": "a"}, []string{"takes only one of device or topics"}},
		{"received", map[string]string{"device": "X", "timeout": "15"}, []string{"give a unit, e.g. 15s"}},
		{"received", map[string]string{"device": "X", "timeout": "3m"}, []string{"between 1s and 2m"}},
		{"rest", map[string]string{"method": "GET", "path": "api/v2/devices"}, []string{"starting with /"}},
		{"rest", map[string]string{"path": "/api/v2/devices"}, []string{`needs method=`}},
		{"rest", map[string]string{"method": "PATCH", "path": "/api/v2/devices"}, []string{"use one of GET, POST, PUT, DELETE"}},
		{"rest", map[string]string{"method": "GET", "path": "/api/v2/devices?x=1"}, []string{"starting with /"}},
		{"recieved", map[string]string{}, []string{`unknown check type "recieved": use one of received, subscribed, published`}},
		{"", map[string]string{}, []string{"<check> has no type"}},
	}
	for _, tt := range tests {
		errs := Validate(tt.typ, tt.args)
		if len(errs) != len(tt.errs) {
			t.Errorf("%s %v: errors %v, want %d", tt.typ, tt.args, errs, len(tt.errs))
			continue
		}
		for i, e := range errs {
			if !strings.Contains(e.Error(), tt.errs[i]) {
				t.Errorf("%s %v: error %q lacks %q", tt.typ, tt.args, e, tt.errs[i])
			}
		}
	}
}

func TestValidateNormalisesAndArgGivesDefaults(t *testing.T) {
	args := map[string]string{"method": " post ", "path": "/api/v2/devices/+/sensors/TC/value"}
	if errs := Validate("rest", args); len(errs) != 0 || args["method"] != "POST" {
		t.Fatalf("errors %v, method %q", errs, args["method"])
	}
	args = map[string]string{"topics": " a/b , c/d"}
	if errs := Validate("received", args); len(errs) != 0 || args["topics"] != "a/b,c/d" {
		t.Fatalf("errors %v, topics %q", errs, args["topics"])
	}
	if got := Arg("received", args, "timeout"); got != "10s" {
		t.Errorf("default timeout %q", got)
	}
	if got := Arg("delivered", nil, "source"); got != "any" {
		t.Errorf("default source %q", got)
	}
	if got := Arg("received", map[string]string{"timeout": "20s"}, "timeout"); got != "20s" {
		t.Errorf("given timeout %q", got)
	}
}
