package topic

import "testing"

func TestMatchesAndValidFilter(t *testing.T) {
	for _, c := range []struct {
		filter, topic string
		want          bool
	}{
		{"devices/+/value", "devices/D1/value", true},
		{"devices/+", "devices/D1/value", false}, // + is one level only
		{"devices/#", "devices/D1/value", true},
		{"devices/#", "devices", true},
		{"#", "$SYS/x", false},
		{"$share/g/devices/+", "devices/D1", true},
	} {
		if got := Matches(c.filter, c.topic); got != c.want {
			t.Errorf("Matches(%q, %q) = %v", c.filter, c.topic, got)
		}
	}
	for f, ok := range map[string]bool{"devices/#/value": false, "dev+": false, "": false, "a/+/#": true} {
		if err := ValidFilter(f); (err == nil) != ok {
			t.Errorf("ValidFilter(%q) = %v", f, err)
		}
	}
}
