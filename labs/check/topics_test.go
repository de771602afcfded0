package check

import (
	"strings"
	"testing"
)

func TestMatches(t *testing.T) {
	cases := []struct {
		filter, topic string
		want          bool
	}{
		{"devices/ESPDEVICE/#", "devices/ESPDEVICE/actuators/LED/value", true},
		{"devices/ESPDEVICE/#", "devices/ESPDEVICE", true},
		{"devices/ESPDEVICE/sensors/+/value", "devices/ESPDEVICE/actuators/LED/value", false},
		{"devices/+/sensors/+/value", "devices/ESPDEVICE/sensors/TC/value", true},
		{"devices/+", "devices/ESPDEVICE/sensors", false},
		{"#", "$SYS/broker/clients", false},
		{"$share/g/devices/#", "devices/a", true},
		{"a/b", "a/b", true},
		{"a/b", "a/b/c", false},
	}
	for _, c := range cases {
		if got := matches(c.filter, c.topic); got != c.want {
			t.Errorf("matches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
}

func TestWhyNoMatchSpeaksPlainly(t *testing.T) {
	cases := []struct{ filter, topic, want string }{
		{"devices/ESPDEVICE/sensors/+/value", "devices/ESPDEVICE/actuators/LED/value", "an actuator topic is not under sensors/"},
		{"devices/ESPDEVICE/actuators/#", "devices/ESPDEVICE/sensors/TC/value", "a sensor topic is not under actuators/"},
		{"devices/espdevice/#", "devices/ESPDEVICE/sensors/TC/value", `topics are case-sensitive and "ESPDEVICE" is not "espdevice"`},
		{"devices/ESPDEVICE/+", "devices/ESPDEVICE/sensors/TC/value", "+ matches exactly one level"},
		{"devices/ESPDEVICE", "devices/ESPDEVICE/sensors/TC/value", "end it with /# to match them"},
		{"devices/ESPDEVICE/sensors/TC/value/x", "devices/ESPDEVICE/sensors/TC/value", "the topic has 5 levels but your filter expects more"},
		{"/devices/#", "devices/x", "a leading / adds an empty first level"},
		{"room/1/temp", "room/2/temp", `level 2 of the topic is "2", not "1"`},
	}
	for _, c := range cases {
		if got := whyNoMatch(c.filter, c.topic); !strings.Contains(got, c.want) {
			t.Errorf("whyNoMatch(%q, %q) = %q, want %q", c.filter, c.topic, got, c.want)
		}
	}
}

func TestSuggestFilterAndMeet(t *testing.T) {
	if got := suggestFilter([]string{"devices/ESPDEVICE/sensors/TC/value", "devices/ESPDEVICE/actuators/LED/value"}); got != "devices/ESPDEVICE/#" {
		t.Errorf("suggest: %s", got)
	}
	if got := suggestFilter([]string{"a/b"}); got != "a/b" {
		t.Errorf("suggest one: %s", got)
	}
	if got := suggestFilter([]string{"a/b", "c/d"}); got != "#" {
		t.Errorf("suggest disjoint: %s", got)
	}
	for _, c := range []struct {
		a, b, want string
		ok         bool
	}{
		{"devices/ESPDEVICE/#", "devices/ESPDEVICE/sensors/+/value", "devices/ESPDEVICE/sensors/check/value", true},
		{"devices/+/sensors/TC/value", "devices/ESPDEVICE/#", "devices/ESPDEVICE/sensors/TC/value", true},
		{"a/+", "a/b/c", "", false},
		{"a/b", "a/c", "", false},
	} {
		got, ok := meet(c.a, c.b)
		if ok != c.ok || got != c.want {
			t.Errorf("meet(%q, %q) = %q, %v", c.a, c.b, got, ok)
		}
	}
}
