// Package vocab is the check vocabulary of the course dialect: which checks an
// exercise may ask for (<check type="…" …/>), which attributes each takes,
// what their values may be and their defaults. It is the one definition read
// by the content loader (and so `courselab lint`) and by the check engine
// (labs/check), so that a check lint lets through is a check the engine runs.
// It imports only labs/topic (MQTT's rules for filters): content and labs
// both depend on it.
package vocab

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/courselab/courselab/labs/topic"
)

// Type describes one kind of <check type="…">.
type Type struct {
	// Summary says in one sentence what the check proves.
	Summary string
	// Required attributes must all be given.
	Required []string
	// OneOf lists attributes of which exactly one must be given (received
	// takes device or topics).
	OneOf []string
	// Optional attributes may be given.
	Optional []string
	// Values says how each attribute's value is read and validated.
	Values map[string]Value
}

// Attributes lists every attribute the type accepts: required, one-of, then
// optional.
func (t Type) Attributes() []string {
	return slices.Concat(t.Required, t.OneOf, t.Optional)
}

// Kind is how a check attribute's value is read.
type Kind string

// Value kinds of check attributes.
const (
	// KindTopic is an exact MQTT topic, without wildcards.
	KindTopic Kind = "topic"
	// KindFilter is an MQTT topic filter: "+" and "#" allowed.
	KindFilter Kind = "filter"
	// KindTopicList is a comma-separated list of exact topics.
	KindTopicList Kind = "topic list"
	// KindName is a JSON field name: letters, digits, "_", "-", ".".
	KindName Kind = "name"
	// KindDevice is a device id of the lab, as the lab set-up allows it (see
	// ValidID).
	KindDevice Kind = "device"
	// KindQoS is 0, 1 or 2.
	KindQoS Kind = "qos"
	// KindBool is true or false.
	KindBool Kind = "bool"
	// KindDuration is a Go duration between 1s and 2m, such as "20s".
	KindDuration Kind = "duration"
	// KindRegexp is a regular expression (Go syntax).
	KindRegexp Kind = "regexp"
	// KindChoice is one of Value.Choices (written in any case, stored in
	// the case of the choice).
	KindChoice Kind = "choice"
	// KindPath is a URL path starting with "/"; "+" stands for one segment.
	KindPath Kind = "path"
)

// Value describes the value of one attribute of a check.
type Value struct {
	// Kind says how the value is read and validated.
	Kind Kind
	// Choices are the allowed values of a KindChoice attribute.
	Choices []string
	// Default is the value used when the attribute is not given ("" if none).
	Default string
	// Summary says what the attribute means, for the documentation.
	Summary string
}

// Shared attribute descriptions.
var (
	qosValue      = Value{Kind: KindQoS, Summary: "minimum QoS, 0, 1 or 2"}
	filterValue   = Value{Kind: KindFilter, Summary: "a topic or filter; + and # allowed"}
	payloadRegexp = Value{Kind: KindRegexp, Summary: "a regular expression the payload must match"}
)

// Types is the check vocabulary, by type name. Read-only.
var Types = map[string]Type{
	"received": {
		Summary:  "a learner's client receives fresh values the platform publishes: on every sensor and actuator of device, or on each of topics",
		OneOf:    []string{"device", "topics"},
		Optional: []string{"qos", "timeout", "wildcard"},
		Values: map[string]Value{
			"device":  {Kind: KindDevice, Summary: "a device of the lab: all its sensors and actuators"},
			"topics":  {Kind: KindTopicList, Summary: "comma-separated topics"},
			"qos":     qosValue,
			"timeout": timeoutValue,
			"wildcard": {Kind: KindChoice, Choices: []string{"+"},
				Summary: "+: the values must arrive through one subscription with + and no # (a broader filter such as devices/# is refused)"},
		},
	},
	"subscribed": {
		Summary:  "a learner's client holds a live subscription whose filter matches each of topics",
		Required: []string{"topics"},
		Optional: []string{"qos"},
		Values: map[string]Value{
			"topics": {Kind: KindTopicList, Summary: "comma-separated topics the filter must match"},
			"qos":    qosValue,
		},
	},
	"published": {
		Summary:  "the learner published on topic",
		Required: []string{"topic"},
		Optional: []string{"field", "payload", "qos", "retain"},
		Values: map[string]Value{
			"topic":   filterValue,
			"field":   {Kind: KindName, Summary: "a JSON field the payload must hold"},
			"payload": payloadRegexp,
			"qos":     qosValue,
			"retain":  {Kind: KindBool, Summary: "whether the message must be retained"},
		},
	},
	"rest": {
		Summary:  "the learner called the REST API",
		Required: []string{"method", "path"},
		Values: map[string]Value{
			"method": {Kind: KindChoice, Choices: []string{"GET", "POST", "PUT", "DELETE"}, Summary: "the HTTP method"},
			"path":   {Kind: KindPath, Summary: "the path called, + for one segment, e.g. /api/v2/devices/+/sensors/TC/value"},
		},
	},
	"delivered": {
		Summary:  "a value the learner pushed (through the REST API or MQTT) reached a learner's client subscribed to topic",
		Required: []string{"topic"},
		Optional: []string{"source"},
		Values: map[string]Value{
			"topic":  filterValue,
			"source": {Kind: KindChoice, Choices: []string{"rest", "mqtt", "any"}, Default: "any", Summary: "how the value was pushed"},
		},
	},
	"will": {
		Summary:  "a learner's client set a last will on topic, lost its connection without DISCONNECT, and another learner client received the will (the latest attempt counts)",
		Required: []string{"topic"},
		Values:   map[string]Value{"topic": filterValue},
	},
	"persistent-session": {
		Summary:  "a learner's client with a persistent session on topic receives what was published while it was offline",
		Required: []string{"topic"},
		Optional: []string{"timeout"},
		Values:   map[string]Value{"topic": filterValue, "timeout": timeoutValue},
	},
	"qos2": {
		Summary:  "a QoS 2 exchange completed on topic",
		Required: []string{"topic"},
		Optional: []string{"direction"},
		Values: map[string]Value{
			"topic":     filterValue,
			"direction": {Kind: KindChoice, Choices: []string{"publish", "receive", "any"}, Default: "any", Summary: "publish: the learner's client sent it; receive: it received it"},
		},
	},
	"recovers": {
		Summary:  "Check injects a fault into the learner's broker and a learner's client subscribed to topic recovers from it: fault=withhold-ack loses its next PUBACK and cuts its connection, and it must reconnect with its session and receive the message again with DUP=1; fault=restart restarts the broker, and it must reconnect and receive a fresh value",
		Required: []string{"topic"},
		Optional: []string{"fault", "timeout"},
		Values: map[string]Value{
			"topic": filterValue,
			"fault": {Kind: KindChoice, Choices: []string{"withhold-ack", "restart"}, Default: "withhold-ack",
				Summary: "withhold-ack: the client's PUBACK is lost and its connection cut (QoS 1 redelivery); restart: the broker restarts, keeping sessions (reconnecting)"},
			"timeout": timeoutValue,
		},
	},
	"retained": {
		Summary:  "a retained message is in place on topic",
		Required: []string{"topic"},
		Optional: []string{"payload"},
		Values: map[string]Value{
			"topic":   {Kind: KindTopic, Summary: "an exact topic, no wildcards"},
			"payload": payloadRegexp,
		},
	},
}

// Names lists the check types in the order the documentation gives them.
var Names = []string{"received", "subscribed", "published", "rest", "delivered", "will", "persistent-session", "qos2", "recovers", "retained"}

// Timeouts of the checks that wait (received, persistent-session, recovers): the
// default when the exercise gives none, and the bounds an exercise may ask
// for (a learner waits for the answer with the page open).
const (
	DefaultTimeout = 10 * time.Second
	MinTimeout     = time.Second
	MaxTimeout     = 2 * time.Minute
)

var timeoutValue = Value{Kind: KindDuration, Default: DefaultTimeout.String(), Summary: "how long the check waits, e.g. 20s"}

// Arg returns the value of attribute name of a check of type typ as args
// give it, or its default ("" if none).
func Arg(typ string, args map[string]string, name string) string {
	if v, ok := args[name]; ok {
		return v
	}
	return Types[typ].Values[name].Default
}

// Validate checks a check against the vocabulary. It returns one error per
// mistake, each a sentence that says how to fix it, and normalises the values
// in args: spaces trimmed, choices in the case of the choice (method="post"
// becomes "POST"), booleans in lower case, topic lists without spaces.
func Validate(typ string, args map[string]string) []error {
	ct, ok := Types[typ]
	if !ok {
		if typ == "" {
			return []error{fmt.Errorf(`<check> has no type; add one, e.g. <check type="received" device="ESPDEVICE" />; types: %s`, strings.Join(Names, ", "))}
		}
		return []error{fmt.Errorf("unknown check type %q: use one of %s", typ, strings.Join(Names, ", "))}
	}
	var errs []error
	allowed := ct.Attributes()
	var names []string
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			errs = append(errs, fmt.Errorf("check type %q takes no attribute %q: use %s", typ, k, orList(allowed)))
		}
	}
	for _, k := range ct.Required {
		if strings.TrimSpace(args[k]) == "" {
			errs = append(errs, fmt.Errorf("check type %q needs %s=\"…\" (%s)", typ, k, ct.Values[k].Summary))
		}
	}
	if len(ct.OneOf) > 0 {
		var given []string
		for _, k := range ct.OneOf {
			if _, ok := args[k]; ok {
				given = append(given, k)
			}
		}
		switch {
		case len(given) == 0:
			errs = append(errs, fmt.Errorf("check type %q needs %s", typ, orList(ct.OneOf)))
		case len(given) > 1:
			errs = append(errs, fmt.Errorf("check type %q takes only one of %s; keep one", typ, orList(ct.OneOf)))
		}
	}
	for _, k := range names {
		v, ok := ct.Values[k]
		if !ok || !slices.Contains(allowed, k) {
			continue
		}
		norm, err := v.check(args[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", k, args[k], err))
			continue
		}
		args[k] = norm
	}
	return errs
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return "no attribute"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	pathRE = regexp.MustCompile(`^/[A-Za-z0-9_.~+/:-]*$`)
	// idRE keeps ids usable as one MQTT topic level and one URL path segment.
	idRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// ValidID reports whether id can name a device, sensor or actuator of a lab:
// up to 64 letters, digits, "_", "-", "." and ":". The lab set-up and the
// device attribute of checks accept the same ids.
func ValidID(id string) bool { return idRE.MatchString(id) }

// check validates one value and returns it normalised.
func (v Value) check(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch v.Kind {
	case KindTopic:
		return s, checkTopic(s, false)
	case KindFilter:
		return s, checkTopic(s, true)
	case KindTopicList:
		var topics []string
		for t := range strings.SplitSeq(s, ",") {
			t = strings.TrimSpace(t)
			if err := checkTopic(t, false); err != nil {
				return s, err
			}
			topics = append(topics, t)
		}
		return strings.Join(topics, ","), nil
	case KindName:
		if !nameRE.MatchString(s) {
			return s, fmt.Errorf("use letters, digits, \"_\", \"-\" and \".\" only")
		}
	case KindDevice:
		if !ValidID(s) {
			return s, fmt.Errorf("not a device id: write the id of a device of the lab, up to 64 letters, digits, \"_\", \"-\", \".\" and \":\" (e.g. ESPDEVICE)")
		}
	case KindQoS:
		if s != "0" && s != "1" && s != "2" {
			return s, fmt.Errorf("the QoS is 0, 1 or 2")
		}
	case KindBool:
		switch strings.ToLower(s) {
		case "true", "false":
			return strings.ToLower(s), nil
		}
		return s, fmt.Errorf("write true or false")
	case KindDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, nerr := strconv.Atoi(s); nerr == nil {
				return s, fmt.Errorf("give a unit, e.g. %ss", s)
			}
			return s, fmt.Errorf("write a duration such as 20s or 1m")
		}
		if d < MinTimeout || d > MaxTimeout {
			return s, fmt.Errorf("a check waits between 1s and 2m")
		}
	case KindRegexp:
		if _, err := regexp.Compile(s); err != nil {
			return s, fmt.Errorf("not a valid regular expression (%v); escape special characters such as . ( [ with a backslash", err)
		}
	case KindChoice:
		for _, c := range v.Choices {
			if strings.EqualFold(s, c) {
				return c, nil
			}
		}
		return s, fmt.Errorf("use one of %s", strings.Join(v.Choices, ", "))
	case KindPath:
		if !pathRE.MatchString(s) {
			return s, fmt.Errorf("write a path starting with /, e.g. /api/v2/devices/+/sensors/TC/value")
		}
		for seg := range strings.SplitSeq(s, "/") {
			if strings.Contains(seg, "+") && seg != "+" {
				return s, fmt.Errorf("+ stands for a whole path segment: write /+/, not %q", seg)
			}
		}
	}
	return s, nil
}

// checkTopic validates an MQTT topic name, or a filter if wildcards are allowed.
func checkTopic(t string, wildcards bool) error {
	if t == "" {
		return fmt.Errorf("the topic is empty; write one such as devices/ESPDEVICE/sensors/TC/value")
	}
	if strings.ContainsAny(t, "\x00 ") {
		return fmt.Errorf("a topic has no spaces")
	}
	if !wildcards && strings.ContainsAny(t, "+#") {
		return fmt.Errorf("this topic must be exact: no + or # wildcards")
	}
	// MQTT's rule is labs/topic's; the words here are for an instructor.
	if topic.ValidFilter(t) == nil {
		return nil
	}
	if hashOK := t == "#" || strings.HasSuffix(t, "/#") && strings.Count(t, "#") == 1; strings.Contains(t, "#") && !hashOK {
		return fmt.Errorf("# must be a whole level, and the last one, e.g. devices/#")
	}
	return fmt.Errorf("+ must be a whole level, e.g. devices/+/sensors/TC/value")
}
