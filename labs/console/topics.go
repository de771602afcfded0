package console

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxTopicLen keeps topics readable in the console; MQTT itself allows 65535 bytes.
const maxTopicLen = 1024

// checkTopicName says what is wrong with a topic to publish on, in words.
func checkTopicName(field, topic string) error {
	if err := checkTopicText(field, topic); err != nil {
		return err
	}
	if strings.ContainsAny(topic, "+#") {
		return invalid(field, "a topic to publish on cannot hold the wildcards + or #: those are for subscribing")
	}
	return nil
}

// checkTopicFilter says what is wrong with a subscription filter, in words
// (MQTT 5 §4.7: '#' only last and alone in its level, '+' alone in its level).
func checkTopicFilter(field, filter string) error {
	if err := checkTopicText(field, filter); err != nil {
		return err
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return invalid(field, fmt.Sprintf("%q is not a valid filter: # must be the last level and alone in it, as in devices/#", filter))
		}
		if strings.Contains(l, "+") && l != "+" {
			return invalid(field, fmt.Sprintf("%q is not a valid filter: + must fill a whole level, as in devices/+/sensors", filter))
		}
	}
	if strings.HasPrefix(filter, "$share/") {
		return invalid(field, "shared subscriptions ($share/…) are not available in the console")
	}
	return nil
}

func checkTopicText(field, s string) error {
	switch {
	case s == "":
		return invalid(field, "enter a topic, such as devices/ESPDEVICE/sensors/TC/value")
	case len(s) > maxTopicLen:
		return invalid(field, fmt.Sprintf("too long: at most %d bytes", maxTopicLen))
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return invalid(field, "a topic must be text without NUL characters")
	}
	return nil
}

func checkQoS(field string, qos byte) error {
	if qos > 2 {
		return invalid(field, "QoS must be 0, 1 or 2")
	}
	return nil
}
