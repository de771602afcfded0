package check

import (
	"fmt"
	"strings"

	"github.com/courselab/courselab/labs/topic"
)

// Topic names and filters, as MQTT defines them, and the words that explain
// to a beginner why a filter does not match a topic.

func plainFilter(f string) string { return topic.PlainFilter(f) }

// matches reports whether filter matches topic name.
func matches(filter, name string) bool { return topic.Matches(filter, name) }

// matchedLevels counts the leading levels of topic that filter matches: how
// close a wrong filter came, to pick the one to talk about.
func matchedLevels(filter, topic string) int {
	f, t := strings.Split(plainFilter(filter), "/"), strings.Split(topic, "/")
	n := 0
	for i := 0; i < len(f) && i < len(t); i++ {
		if f[i] != "+" && f[i] != "#" && f[i] != t[i] {
			break
		}
		n++
	}
	return n
}

// whyNoMatch says in plain words why filter does not match topic.
func whyNoMatch(filter, topic string) string {
	pf := plainFilter(filter)
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(pf, "+") || strings.HasPrefix(pf, "#")) {
		return "topics starting with $ are not matched by a filter starting with a wildcard"
	}
	if strings.HasPrefix(pf, "/") != strings.HasPrefix(topic, "/") {
		return "a leading / adds an empty first level, so mind the / at the start"
	}
	f, t := strings.Split(pf, "/"), strings.Split(topic, "/")
	for i, fl := range f {
		if fl == "#" {
			return "" // it matches
		}
		if i >= len(t) {
			return fmt.Sprintf("the topic has %d levels but your filter expects more", len(t))
		}
		if fl == "+" {
			continue
		}
		if fl != t[i] {
			switch {
			case fl == "sensors" && t[i] == "actuators":
				return "an actuator topic is not under sensors/"
			case fl == "actuators" && t[i] == "sensors":
				return "a sensor topic is not under actuators/"
			case strings.EqualFold(fl, t[i]):
				return fmt.Sprintf("topics are case-sensitive and %q is not %q", t[i], fl)
			}
			return fmt.Sprintf("level %d of the topic is %q, not %q", i+1, t[i], fl)
		}
	}
	if len(t) > len(f) {
		if f[len(f)-1] == "+" {
			return "+ matches exactly one level and the topic has more levels after it; # matches all the levels below"
		}
		return fmt.Sprintf("your filter matches only the exact topic %s, not the levels below it; end it with /# to match them", pf)
	}
	return ""
}

// suggestFilter is a filter that matches every topic: the topic itself for
// one, else their common leading levels followed by #.
func suggestFilter(topics []string) string {
	if len(topics) == 1 {
		return topics[0]
	}
	if f, ok := singleLevelFilter(topics); ok {
		return f
	}
	common := strings.Split(topics[0], "/")
	for _, t := range topics[1:] {
		levels := strings.Split(t, "/")
		n := 0
		for n < len(common) && n < len(levels) && common[n] == levels[n] {
			n++
		}
		common = common[:n]
	}
	if len(common) == 0 {
		return "#"
	}
	return strings.Join(common, "/") + "/#"
}

// singleLevelFilter is the filter with one "+" that matches all topics, when
// they have the same levels and differ in exactly one of them: the lesson
// of the single-level wildcard (devices/+/sensors/TC/value).
func singleLevelFilter(topics []string) (string, bool) {
	first := strings.Split(topics[0], "/")
	differ := -1
	for _, t := range topics[1:] {
		levels := strings.Split(t, "/")
		if len(levels) != len(first) {
			return "", false
		}
		for i := range levels {
			if levels[i] != first[i] {
				if differ >= 0 && differ != i {
					return "", false
				}
				differ = i
			}
		}
	}
	if differ < 0 {
		return "", false
	}
	out := append([]string(nil), first...)
	out[differ] = "+"
	return strings.Join(out, "/"), true
}

// instantiate turns a filter into a topic name it matches.
func instantiate(filter string) string {
	levels := strings.Split(plainFilter(filter), "/")
	for i, l := range levels {
		if l == "+" || l == "#" {
			levels[i] = "check"
		}
	}
	return strings.Join(levels, "/")
}

// hasWildcard reports whether f is a filter rather than a topic name.
func hasWildcard(f string) bool { return strings.ContainsAny(f, "+#") }
