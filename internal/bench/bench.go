// Package bench is courselab's load generator (issue 11): a class of
// learners joined as a browser joins, each with an MQTT publisher and
// subscriber, REST posts or Check presses, against a courselab server in
// classroom mode and against a plain mochi-mqtt broker (the anchor), both
// started as child processes of the bench so that /proc gives each one's
// CPU and memory. Runs alternate between the two (A, B, B, A…) and every
// figure is printed with its ratio to the anchor's, because the machine
// the bench runs on is rarely quiet. Loopback only; every run is bounded.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Options say what to run. Zero fields take the defaults of the goals.
type Options struct {
	Exe      string        // the courselab binary (serve, and bench --anchor-broker)
	Modes    []string      // "mqtt", "latency", "rest", "check", "pages", "start"
	QoS      []byte        // MQTT mode: the QoS levels to run
	Learners int           // MQTT mode: learners (default 200)
	Rate     int           // MQTT mode: messages a second per learner (default 90)
	Duration time.Duration // MQTT and REST modes: how long each run loads (default 10 s)
	Settle   time.Duration // MQTT mode: quiet time before memory is read again (default 5 s)

	// Latency mode: the MQTT load at a rate the machine carries, so that
	// latency is not queueing (default 50 learners × 20 msg/s).
	LatencyLearners int
	LatencyRate     int

	RESTLearners int // REST mode: learners posting values (default 20)
	RESTRate     int // REST mode: posts a second per learner (default 50: 1,000/s for 20)

	CheckLearners int // Check mode: learners pressing Check at once (default 100)

	PageRequests int // pages mode: requests per run (default 20,000)
	PageClients  int // pages mode: keep-alive connections (default 4)
	Starts       int // start mode: starts of each server (default 10)

	Rounds   int // runs of each server (default 3)
	PortBase int // listen on PortBase.. PortBase+2 instead of ports the kernel picks
	// ProfileDir, when set, receives pprof CPU and heap profiles of every
	// courselab run, named after the scenario and the round.
	ProfileDir string
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Learners, 200)
	def(&o.Rate, 90)
	def(&o.LatencyLearners, 50)
	def(&o.LatencyRate, 20)
	def(&o.RESTLearners, 20)
	def(&o.RESTRate, 50)
	def(&o.CheckLearners, 100)
	def(&o.Rounds, 3)
	def(&o.PageRequests, 20000)
	def(&o.PageClients, 4)
	def(&o.Starts, 10)
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Settle < 0 {
		o.Settle = 0
	} else if o.Settle == 0 {
		o.Settle = 5 * time.Second
	}
	if len(o.Modes) == 0 {
		o.Modes = []string{"mqtt", "latency", "rest", "check", "pages", "start"}
	}
	if len(o.QoS) == 0 {
		o.QoS = []byte{0, 1}
	}
	return o
}

// scenario is one kind of load, run on both servers.
type scenario struct {
	slug  string // for profile file names
	title string
	run   func(ctx context.Context, p *process) (*result, error)
	check bool // report answer times rather than messages
}

func scenarios(o Options) ([]scenario, error) {
	var out []scenario
	for _, m := range o.Modes {
		switch m {
		case "mqtt":
			for _, q := range o.QoS {
				out = append(out, scenario{
					slug:  fmt.Sprintf("mqtt-qos%d", q),
					title: fmt.Sprintf("MQTT pub→sub: %d learners × %d msg/s, QoS %d, %s", o.Learners, o.Rate, q, o.Duration),
					run: func(ctx context.Context, p *process) (*result, error) {
						ls, err := joinClass(ctx, p, o.Learners)
						if err != nil {
							return nil, err
						}
						return runMessages(ctx, p, ls, o.Rate, o.Duration, q, false, o.Settle)
					}})
			}
		case "latency":
			for _, q := range o.QoS {
				out = append(out, scenario{
					slug:  fmt.Sprintf("latency-qos%d", q),
					title: fmt.Sprintf("MQTT pub→sub latency at a carried load: %d learners × %d msg/s, QoS %d, %s", o.LatencyLearners, o.LatencyRate, q, o.Duration),
					run: func(ctx context.Context, p *process) (*result, error) {
						ls, err := joinClass(ctx, p, o.LatencyLearners)
						if err != nil {
							return nil, err
						}
						return runMessages(ctx, p, ls, o.LatencyRate, o.Duration, q, false, 0)
					}})
			}
		case "rest":
			out = append(out, scenario{
				slug:  "rest",
				title: fmt.Sprintf("REST POST → subscriber: %d learners × %d/s (anchor: MQTT QoS 1 pub→sub), %s", o.RESTLearners, o.RESTRate, o.Duration),
				run: func(ctx context.Context, p *process) (*result, error) {
					ls, err := joinClass(ctx, p, o.RESTLearners)
					if err != nil {
						return nil, err
					}
					return runMessages(ctx, p, ls, o.RESTRate, o.Duration, 1, true, 0)
				}})
		case "check":
			out = append(out, scenario{
				slug:  "check",
				title: fmt.Sprintf("Check burst: %d learners press Check on all-device-values at once (anchor: the same 3 QoS 1 publishes each)", o.CheckLearners),
				check: true,
				run: func(ctx context.Context, p *process) (*result, error) {
					ls, err := joinClass(ctx, p, o.CheckLearners)
					if err != nil {
						return nil, err
					}
					return runCheckBurst(ctx, p, ls)
				}})
		case "pages", "start": // not scenarios on the broker: see pages.go
		default:
			return nil, fmt.Errorf("unknown mode %q: use mqtt, latency, rest, check, pages or start", m)
		}
	}
	return out, nil
}

// Run runs every scenario Rounds times on each server, alternating which
// goes first, and writes the figures and ratios to w.
func Run(ctx context.Context, o Options, w io.Writer) error {
	o = o.withDefaults()
	scs, err := scenarios(o)
	if err != nil {
		return err
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return fmt.Errorf("profile folder: %w", err)
		}
	}
	fmt.Fprintf(w, "courselab bench: %d round(s); anchor: mochi-mqtt v2.7.9 (allow-all hook, one TCP listener) in its own process\n", o.Rounds)
	for _, sc := range scs {
		fmt.Fprintf(w, "\n## %s\n\n", sc.title)
		var pairs [][2]*result
		for round := range o.Rounds {
			starts := []func(context.Context, string, int, string) (*process, error){startAnchor, startCourselab}
			if round%2 == 1 {
				slices.Reverse(starts)
			}
			var pair [2]*result
			for _, start := range starts {
				profile := ""
				if o.ProfileDir != "" {
					profile = filepath.Join(o.ProfileDir, fmt.Sprintf("%s-round%d", sc.slug, round+1))
				}
				r, err := runOnce(ctx, o, sc, start, profile)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "round %d %-9s %s\n", round+1, r.target, line(r, sc.check))
				if r.target == "mochi" {
					pair[0] = r
				} else {
					pair[1] = r
				}
			}
			pairs = append(pairs, pair)
		}
		summary(w, pairs, sc.check)
	}
	if slices.Contains(o.Modes, "pages") {
		if err := runPages(ctx, o, w); err != nil {
			return err
		}
	}
	if slices.Contains(o.Modes, "start") {
		if err := runStarts(ctx, o, w); err != nil {
			return err
		}
	}
	return nil
}

func runOnce(ctx context.Context, o Options, sc scenario, start func(context.Context, string, int, string) (*process, error), profile string) (*result, error) {
	p, err := start(ctx, o.Exe, o.PortBase, profile)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	rssStart := p.rssMiB()
	r, err := sc.run(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", p.name, err, p.logs.String())
	}
	r.rssStart = rssStart
	return r, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/1e3) }

func line(r *result, check bool) string {
	if check {
		return fmt.Sprintf("all answered %s (p50 %s), %d/%d passed, %d failed, server CPU %.0f ms, RSS %.1f MiB",
			ms(r.answered), ms(r.percentile(0.5)), r.passed, r.sent, r.failed, r.cpu*1000, r.rssLoad)
	}
	s := fmt.Sprintf("%.0f msg/s delivered (%d sent, %d failed), p50 %s p99 %s max %s, CPU/msg %s, RSS %.1f MiB at start, %.1f MiB under load",
		r.msgsPerSecond(), r.sent, r.failed, ms(r.percentile(0.5)), ms(r.percentile(0.99)), ms(r.percentile(1)), us(r.cpuPerMessage()), r.rssStart, r.rssLoad)
	if r.heapLoad > 0 {
		s += fmt.Sprintf(" (live heap %.1f MiB)", r.heapLoad)
	}
	if r.rssAfter > 0 {
		s += fmt.Sprintf(", RSS after the load %.1f MiB (live heap %.1f MiB), after the class left %.1f MiB (live heap %.1f MiB)", r.rssAfter, r.heapAfter, r.rssGone, r.heapGone)
	}
	return s
}

// measure is one figure of a result, in a unit for printing.
type measure struct {
	name  string
	value func(*result) float64
	unit  string
}

// summary prints, per figure, the median of each server and the median of
// the per-round ratios (courselab / anchor of the same round).
func summary(w io.Writer, pairs [][2]*result, check bool) {
	var ms []measure
	if check {
		ms = []measure{
			{"all answered", func(r *result) float64 { return float64(r.answered) / 1e6 }, "ms"},
			{"p50 answer", func(r *result) float64 { return float64(r.percentile(0.5)) / 1e6 }, "ms"},
			{"server CPU for the burst", func(r *result) float64 { return r.cpu * 1000 }, "ms"},
		}
	} else {
		ms = []measure{
			{"delivered", func(r *result) float64 { return r.msgsPerSecond() }, "msg/s"},
			{"p50 latency", func(r *result) float64 { return float64(r.percentile(0.5)) / 1e6 }, "ms"},
			{"p99 latency", func(r *result) float64 { return float64(r.percentile(0.99)) / 1e6 }, "ms"},
			{"max latency", func(r *result) float64 { return float64(r.percentile(1)) / 1e6 }, "ms"},
			{"server CPU per message", func(r *result) float64 { return float64(r.cpuPerMessage()) / 1e3 }, "µs"},
			{"RSS at start (before the class joins)", func(r *result) float64 { return r.rssStart }, "MiB"},
			{"RSS under load", func(r *result) float64 { return r.rssLoad }, "MiB"},
			{"live heap under load", func(r *result) float64 { return r.heapLoad }, "MiB"},
		}
		if pairs[0][0].rssAfter > 0 {
			ms = append(ms,
				measure{"RSS after the load (class connected, quiet)", func(r *result) float64 { return r.rssAfter }, "MiB"},
				measure{"live heap after the load", func(r *result) float64 { return r.heapAfter }, "MiB"},
				measure{"RSS after the class left", func(r *result) float64 { return r.rssGone }, "MiB"},
				measure{"live heap after the class left", func(r *result) float64 { return r.heapGone }, "MiB"})
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n| measure\t| courselab\t| mochi\t| ratio\t|\n|---\t|---\t|---\t|---\t|\n")
	for _, m := range ms {
		var a, b, ratio []float64
		for _, p := range pairs {
			va, vb := m.value(p[0]), m.value(p[1])
			a, b = append(a, va), append(b, vb)
			if va > 0 {
				ratio = append(ratio, vb/va)
			}
		}
		fmt.Fprintf(tw, "| %s\t| %.3g %s\t| %.3g %s\t| %s\t|\n", m.name, median(b), m.unit, median(a), m.unit, ratioText(ratio))
	}
	tw.Flush()
	fmt.Fprintln(w, "(medians over the rounds; ratio: median of courselab / mochi in the same round, then the range)")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratioText(r []float64) string {
	if len(r) == 0 {
		return "—"
	}
	s := slices.Clone(r)
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.2f× (%s)", median(s), strings.Join(parts, ", "))
}
