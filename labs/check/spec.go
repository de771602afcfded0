package check

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// DefaultTimeout bounds a check that waits (received, persistent-session)
// when the exercise gives no timeout attribute.
const DefaultTimeout = 10 * time.Second

// MaxTimeout is the longest timeout an exercise may ask for: a learner waits
// for the answer with the page open.
const MaxTimeout = 2 * time.Minute

// Spec is one check of an exercise as the course states it: a type and its
// attributes, with the course line it came from (for authoring errors).
type Spec struct {
	Type string
	Args map[string]string
	Line int
}

// SpecError is a check written wrongly in a course: it names the line, the
// check and what to write instead, for the instructor.
type SpecError struct {
	Line    int
	Type    string
	Message string
}

// Error says where and what, e.g. `line 12: check "received": needs device or topics`.
func (e *SpecError) Error() string {
	where := ""
	if e.Line > 0 {
		where = fmt.Sprintf("line %d: ", e.Line)
	}
	if e.Type == "" {
		return where + e.Message
	}
	return fmt.Sprintf("%scheck %q: %s", where, e.Type, e.Message)
}

// evaluator is a parsed, valid check, ready to run against a sandbox.
type evaluator interface {
	evaluate(ctx context.Context, sb *labs.Sandbox) Detail
}

// kind is one word of the vocabulary: its attributes and its parser.
type kind struct {
	attrs []string // every attribute it accepts
	parse func(a args) (evaluator, error)
}

// vocabulary is every check type; read-only.
var vocabulary = map[string]kind{
	"received":           {attrs: []string{"device", "topics", "qos", "timeout", "wildcard"}, parse: parseReceived},
	"subscribed":         {attrs: []string{"topics", "qos"}, parse: parseSubscribed},
	"published":          {attrs: []string{"topic", "field", "payload", "qos", "retain"}, parse: parsePublished},
	"rest":               {attrs: []string{"method", "path"}, parse: parseREST},
	"delivered":          {attrs: []string{"topic", "source"}, parse: parseDelivered},
	"will":               {attrs: []string{"topic"}, parse: parseWill},
	"persistent-session": {attrs: []string{"topic", "timeout"}, parse: parseSession},
	"qos2":               {attrs: []string{"topic", "direction"}, parse: parseQoS2},
	"retained":           {attrs: []string{"topic", "payload"}, parse: parseRetained},
}

// Types lists the check types the engine knows, sorted.
func Types() []string {
	out := make([]string, 0, len(vocabulary))
	for t := range vocabulary {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Attributes lists the attributes a check type accepts (nil for an unknown type).
func Attributes(typ string) []string {
	k, ok := vocabulary[typ]
	if !ok {
		return nil
	}
	return append([]string(nil), k.attrs...)
}

// Validate reports the first problem of a spec as a *SpecError, or nil.
func (s Spec) Validate() error {
	_, err := s.compile(DefaultTimeout)
	return err
}

// compile validates the spec and returns its evaluator.
func (s Spec) compile(defaultTimeout time.Duration) (evaluator, error) {
	k, ok := vocabulary[s.Type]
	if !ok {
		return nil, &SpecError{Line: s.Line, Message: fmt.Sprintf("unknown check type %q; known types: %s", s.Type, strings.Join(Types(), ", "))}
	}
	for name := range s.Args {
		if !contains(k.attrs, name) {
			return nil, &SpecError{Line: s.Line, Type: s.Type, Message: fmt.Sprintf("unknown attribute %q; it takes %s", name, strings.Join(k.attrs, ", "))}
		}
	}
	ev, err := k.parse(args{spec: s, defaultTimeout: defaultTimeout})
	if err != nil {
		return nil, &SpecError{Line: s.Line, Type: s.Type, Message: err.Error()}
	}
	return ev, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// args reads a spec's attributes, each with its own authoring error.
type args struct {
	spec           Spec
	defaultTimeout time.Duration
}

func (a args) get(name string) string { return strings.TrimSpace(a.spec.Args[name]) }

func (a args) has(name string) bool { _, ok := a.spec.Args[name]; return ok }

// topicName reads an attribute that must be a topic name (no wildcards).
func (a args) topicName(name string) (string, error) {
	t := a.get(name)
	if err := validTopicName(t); err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	return t, nil
}

// filter reads an attribute that must be a topic filter (wildcards allowed).
func (a args) filter(name string) (string, error) {
	f := a.get(name)
	if err := validFilter(f); err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	return f, nil
}

// topicList reads a comma-separated list of topic names.
func (a args) topicList(name string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(a.get(name), ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if err := validTopicName(t); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if !contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: give at least one topic, e.g. %s=devices/ESPDEVICE/sensors/TC/value", name, name)
	}
	return out, nil
}

// qos reads an optional minimum QoS (default 0).
func (a args) qos() (byte, error) {
	if !a.has("qos") {
		return 0, nil
	}
	switch a.get("qos") {
	case "0":
		return 0, nil
	case "1":
		return 1, nil
	case "2":
		return 2, nil
	}
	return 0, fmt.Errorf("qos %q: must be 0, 1 or 2", a.get("qos"))
}

// timeout reads an optional wait bound: "10s", "1m30s" or a number of seconds.
func (a args) timeout() (time.Duration, error) {
	if !a.has("timeout") {
		return a.defaultTimeout, nil
	}
	v := a.get("timeout")
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, err2 := strconv.ParseFloat(v, 64)
		if err2 != nil {
			return 0, fmt.Errorf("timeout %q: write a duration like 10s or 1m", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 || d > MaxTimeout {
		return 0, fmt.Errorf("timeout %q: must be above 0 and at most %v", v, MaxTimeout)
	}
	return d, nil
}

// pattern reads an optional regular expression.
func (a args) pattern(name string) (*regexp.Regexp, error) {
	if !a.has(name) {
		return nil, nil
	}
	re, err := regexp.Compile(a.spec.Args[name])
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a valid regular expression: %v", name, a.spec.Args[name], err)
	}
	return re, nil
}

// oneOf reads an optional attribute limited to a few words.
func (a args) oneOf(name, def string, words ...string) (string, error) {
	if !a.has(name) {
		return def, nil
	}
	v := strings.ToLower(a.get(name))
	if !contains(words, v) {
		return "", fmt.Errorf("%s %q: must be one of %s", name, a.get(name), strings.Join(words, ", "))
	}
	return v, nil
}
