// Package check evaluates exercises' checks against a learner's lab sandbox:
// from what really happened there (the journal, the broker's sessions and
// retained messages), and by acting when a check needs to (publishing fresh
// values the learner could not guess, waiting a bounded time for the
// learner's client to receive them or come back). Only the learner's clients
// count, never the platform's own publisher. Every result is a sentence a
// beginner understands plus the evidence it rests on.
//
// The vocabulary (optional attributes in brackets):
//
//	received            device=ID | topics=a,b     [qos timeout]  acts: publishes fresh values, waits
//	subscribed          topics=a,b                 [qos]
//	published           topic=filter               [field payload qos retain]
//	rest                path=/api/v2/… or devices/+/… [method]
//	delivered           topic=filter               [source=rest|mqtt|any]
//	will                topic=filter
//	persistent-session  topic=filter               [timeout]      acts: publishes while the client is away
//	qos2                topic=filter               [direction=publish|receive|any]
//	recovers            topic=filter               [fault=withhold-ack|restart timeout]  acts: injects the fault, publishes, waits
//	retained            topic=name                 [payload]
//
// Spec.Validate reports authoring mistakes; Engine.EvaluateOnce is what a
// Check button calls.
package check

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/courselab/courselab/labs"
)

// Result is the outcome of an exercise's checks.
type Result struct {
	Passed  bool      `json:"passed"`
	Summary string    `json:"summary"` // what passed, or the first thing missing and what to do
	Details []Detail  `json:"details"` // one per spec, in order
	At      time.Time `json:"at"`
	// Timeline is the learner's packets that led to the verdict, newest
	// last, ending with the verdict itself (marked Wrong when it failed).
	Timeline []Step `json:"timeline"`
}

// Detail is the outcome of one check.
type Detail struct {
	Check    string         `json:"check"` // the check type
	Passed   bool           `json:"passed"`
	Message  string         `json:"message"`
	Evidence map[string]any `json:"evidence,omitempty"` // client id, filter, topic, qos, time…: JSON-able, stored with the result
}

// Engine evaluates checks. It holds nothing per learner beyond the
// evaluations running right now, so one Engine serves every sandbox.
type Engine struct {
	log *slog.Logger

	mu      sync.Mutex
	flights map[flightKey]*flight

	evaluations atomic.Int64
	onEvaluate  func() // tests: runs at the start of every evaluation
}

// New returns an Engine that logs to logger (slog.Default() if nil).
func New(logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{log: logger, flights: map[flightKey]*flight{}}
}

// Evaluations counts the evaluations the engine has run (coalesced presses count once).
func (e *Engine) Evaluations() int64 { return e.evaluations.Load() }

// Evaluate runs specs in order against sb and returns their result. Checks
// that wait are bounded by their timeout and by ctx; when ctx ends the
// remaining checks fail with a message saying so.
func (e *Engine) Evaluate(ctx context.Context, sb *labs.Sandbox, specs []Spec) Result {
	e.evaluations.Add(1)
	if e.onEvaluate != nil {
		e.onEvaluate()
	}
	start := time.Now()
	res := Result{Details: make([]Detail, 0, len(specs))}
	for _, s := range specs {
		res.Details = append(res.Details, e.one(ctx, sb, s))
	}
	res.At = time.Now().UTC()
	res.Passed, res.Summary = summarize(res.Details)
	res.Timeline = timeline(sb.Journal().Since(0), res)
	e.log.Debug("exercise checked", "sandbox", sb.Learner(), "checks", len(specs), "passed", res.Passed,
		"duration", time.Since(start).Round(time.Millisecond))
	return res
}

// one evaluates a single spec; a bug in a check must not take the server down.
func (e *Engine) one(ctx context.Context, sb *labs.Sandbox, s Spec) (d Detail) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("check panicked", "check", s.Type, "line", s.Line, "sandbox", sb.Learner(), "panic", fmt.Sprint(r))
			d = Detail{Check: s.Type, Message: msgInternal}
		}
	}()
	if ctx.Err() != nil {
		return Detail{Check: s.Type, Message: msgInterrupted}
	}
	if sb.Closed() {
		return Detail{Check: s.Type, Message: msgSandboxClosed}
	}
	ev, err := s.compile()
	if err != nil {
		e.log.Warn("exercise check written wrongly", "error", err)
		return Detail{Check: s.Type, Message: badSpecMessage(s.Line), Evidence: map[string]any{"error": err.Error()}}
	}
	d = ev.evaluate(ctx, sb)
	d.Check = s.Type
	if !d.Passed && ctx.Err() != nil {
		d.Message = msgInterrupted
	}
	return d
}

// summarize gives the result's verdict and one sentence for it.
func summarize(ds []Detail) (bool, string) {
	if len(ds) == 0 {
		return false, msgNoChecks
	}
	for _, d := range ds {
		if !d.Passed {
			return false, d.Message
		}
	}
	if len(ds) == 1 {
		return true, ds[0].Message
	}
	return true, fmt.Sprintf("All %d checks passed: well done.", len(ds))
}

// flightKey identifies an exercise being checked in one sandbox.
type flightKey struct {
	sb  *labs.Sandbox
	key string
}

// flight is one evaluation shared by every caller that pressed Check while it ran.
type flight struct {
	done    chan struct{}
	res     Result
	waiters int
	cancel  context.CancelFunc
}

// EvaluateOnce is Evaluate for a Check button: calls for the same sandbox
// and key (the exercise) while an evaluation runs share that one evaluation
// and all get its result. The evaluation stops early only when every caller
// has gone; a caller whose ctx ends gets an "interrupted" result at once.
func (e *Engine) EvaluateOnce(ctx context.Context, key string, sb *labs.Sandbox, specs []Spec) Result {
	k := flightKey{sb: sb, key: key}
	e.mu.Lock()
	f := e.flights[k]
	if f == nil {
		// The evaluation outlives the first caller's ctx if others wait for it.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		e.flights[k] = f
		go func() {
			defer cancel()
			res := e.Evaluate(fctx, sb, specs)
			e.mu.Lock()
			f.res = res
			if e.flights[k] == f {
				delete(e.flights, k)
			}
			e.mu.Unlock()
			close(f.done)
		}()
	}
	f.waiters++
	e.mu.Unlock()

	select {
	case <-f.done:
		return f.res
	case <-ctx.Done():
		e.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel() // nobody wants the answer any more
			if e.flights[k] == f {
				delete(e.flights, k) // a new press starts afresh
			}
		}
		e.mu.Unlock()
		return interrupted(specs)
	}
}

// waiting reports how many callers wait for the evaluation of key (tests).
func (e *Engine) waiting(sb *labs.Sandbox, key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.flights[flightKey{sb: sb, key: key}]; f != nil {
		return f.waiters
	}
	return 0
}

// interrupted is the result for a caller that left before the end.
func interrupted(specs []Spec) Result {
	res := Result{Summary: msgInterrupted, At: time.Now().UTC(), Timeline: []Step{}}
	for _, s := range specs {
		res.Details = append(res.Details, Detail{Check: s.Type, Message: msgInterrupted})
	}
	return res
}
