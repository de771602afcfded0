// Package topic holds MQTT's rules for topic names and filters, the one
// definition the checks, the history and the topic tree share.
package topic

import (
	"fmt"
	"strings"
)

// PlainFilter drops a shared-subscription prefix ($share/group/), which
// does not change what a filter matches.
func PlainFilter(f string) string {
	if strings.HasPrefix(f, "$share/") {
		parts := strings.SplitN(f, "/", 3)
		if len(parts) == 3 {
			return parts[2]
		}
	}
	return f
}

// Matches reports whether filter matches the topic name.
func Matches(filter, topic string) bool {
	filter = PlainFilter(filter)
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false // [MQTT-4.7.2-1]
	}
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, fl := range f {
		if fl == "#" {
			return true
		}
		if i >= len(t) {
			return false
		}
		if fl != "+" && fl != t[i] {
			return false
		}
	}
	return len(f) == len(t)
}

// ValidFilter says in words what is wrong with a topic filter, or nil.
func ValidFilter(f string) error {
	if f == "" {
		return fmt.Errorf("empty topic filter")
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case l == "#" && i != len(levels)-1:
			return fmt.Errorf("filter %q: # must be the last level", f)
		case l != "#" && l != "+" && strings.ContainsAny(l, "+#"):
			return fmt.Errorf("filter %q: + and # must fill a whole level (a/+/c, a/#)", f)
		}
	}
	return nil
}
