package check

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/check/vocab"
)

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

// parsers turns each check type of the vocabulary into its evaluator; every
// type of vocab.Types has one (TestEveryCheckTypeHasAnEvaluator).
var parsers = map[string]func(a args) (evaluator, error){
	"received":           parseReceived,
	"subscribed":         parseSubscribed,
	"published":          parsePublished,
	"rest":               parseREST,
	"delivered":          parseDelivered,
	"will":               parseWill,
	"persistent-session": parseSession,
	"qos2":               parseQoS2,
	"recovers":           parseRecovers,
	"retained":           parseRetained,
}

// Validate reports the problems of a spec as a *SpecError, or nil. The
// vocabulary (labs/check/vocab) decides, as it does for lint.
func (s Spec) Validate() error {
	_, err := s.compile()
	return err
}

// compile validates the spec against the vocabulary and returns its evaluator.
func (s Spec) compile() (evaluator, error) {
	norm := make(map[string]string, len(s.Args))
	for k, v := range s.Args {
		norm[k] = v
	}
	if errs := vocab.Validate(s.Type, norm); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		se := &SpecError{Line: s.Line, Message: strings.Join(msgs, "; ")}
		if _, known := vocab.Types[s.Type]; known {
			se.Type = s.Type
		}
		return nil, se
	}
	parse, ok := parsers[s.Type]
	if !ok {
		return nil, &SpecError{Line: s.Line, Type: s.Type, Message: "this check type has no evaluator in this version of courselab"}
	}
	ev, err := parse(args{typ: s.Type, values: norm})
	if err != nil {
		return nil, &SpecError{Line: s.Line, Type: s.Type, Message: err.Error()}
	}
	return ev, nil
}

// args reads a spec's attributes once the vocabulary validated and
// normalised them, with the vocabulary's defaults.
type args struct {
	typ    string
	values map[string]string
}

// get returns an attribute's value, or its default ("" if none).
func (a args) get(name string) string { return vocab.Arg(a.typ, a.values, name) }

func (a args) has(name string) bool { _, ok := a.values[name]; return ok }

// topicList reads a comma-separated list of topic names, each once.
func (a args) topicList(name string) []string {
	var out []string
	for _, t := range strings.Split(a.get(name), ",") {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// qos reads an optional minimum QoS (default 0).
func (a args) qos() byte {
	if v := a.get("qos"); v != "" {
		return v[0] - '0'
	}
	return 0
}

// timeout reads the wait bound.
func (a args) timeout() (time.Duration, error) {
	return time.ParseDuration(a.get("timeout"))
}

// pattern reads an optional regular expression.
func (a args) pattern(name string) (*regexp.Regexp, error) {
	if !a.has(name) {
		return nil, nil
	}
	return regexp.Compile(a.get(name))
}
