package e2e

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// benchSection is what one section of `courselab bench` must show: runs on
// courselab and on its anchor, and the ratio of the two on the figure the
// goal is about.
type benchSection struct {
	title  string   // a piece of the "## …" heading
	runs   []string // the start of every run line expected, one per server and round (or start)
	ratio  string   // a summary row whose ratio must be a number (a time: CPU can read 0 ticks on so small a load)
	cpu    bool     // the summary has a server CPU row
	runsOK func(t *testing.T, line string)
}

// TestBenchCommandMeasuresBothServers runs `courselab bench` small, every
// mode (one round, a few learners for one second, two thousand page
// requests, two starts). Every section must run on courselab and on its
// anchor (mochi, or Go's FileServer for pages), print a ratio between them,
// and have lost nothing: every message delivered, every Check passed.
func TestBenchCommandMeasuresBothServers(t *testing.T) {
	if binary == "" {
		t.Skip("starts the real binary; skipped with -short")
	}
	out, err := exec.Command(binary, "bench", "--rounds", "1", "--duration", "1s", "--settle", "0",
		"--learners", "4", "--rate", "20", "--latency-learners", "2", "--latency-rate", "20",
		"--rest-learners", "2", "--rest-rate", "20", "--check-learners", "4",
		"--page-requests", "2000", "--page-clients", "2", "--starts", "2").CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("courselab bench: %v\n%s", err, text)
	}
	t.Log(text)

	sentAll := regexp.MustCompile(`delivered \((\d+) sent, 0 failed\)`)
	delivered := func(t *testing.T, line string) {
		if m := sentAll.FindStringSubmatch(line); m == nil || m[1] == "0" {
			t.Errorf("messages failed or none sent: %s", line)
		}
	}
	messages := func(title string) benchSection {
		return benchSection{title, []string{"round 1 mochi ", "round 1 courselab "}, "p50 latency", true, delivered}
	}
	pages := func(mode string) benchSection {
		return benchSection{"Cached section page /courses/mqtt_course/hands-on-task-mqtt-application, " + mode + " mode",
			[]string{"round 1 fileserver ", "round 1 courselab "}, "server CPU per request", true, func(t *testing.T, line string) {
				if !regexp.MustCompile(` [0-9.]+ µs per request$`).MatchString(line) {
					t.Errorf("no CPU per request: %s", line)
				}
			}}
	}
	want := []benchSection{
		messages("MQTT pub→sub: 4 learners × 20 msg/s, QoS 0"),
		messages("MQTT pub→sub: 4 learners × 20 msg/s, QoS 1"),
		messages("MQTT pub→sub latency at a carried load: 2 learners × 20 msg/s, QoS 0"),
		messages("MQTT pub→sub latency at a carried load: 2 learners × 20 msg/s, QoS 1"),
		messages("REST POST → subscriber: 2 learners × 20/s"),
		{"Check burst: 4 learners", []string{"round 1 mochi ", "round 1 courselab "}, "all answered", true, func(t *testing.T, line string) {
			if !strings.Contains(line, "all answered") || !strings.Contains(line, "4/4 passed, 0 failed") {
				t.Errorf("not every Check passed: %s", line)
			}
		}},
		pages("personal"),
		pages("classroom"),
		{"Start: exec → first 200", []string{"start 1 courselab ", "start 1 mochi ", "start 2 courselab ", "start 2 mochi "},
			"exec → /healthz 200", false, func(t *testing.T, line string) {
				if !regexp.MustCompile(`(/healthz|CONNACK) [0-9.]+ ms`).MatchString(line) {
					t.Errorf("no start time: %s", line)
				}
			}},
	}

	sections := strings.Split(text, "\n## ")[1:]
	if len(sections) != len(want) {
		var got []string
		for _, sec := range sections {
			heading, _, _ := strings.Cut(sec, "\n")
			got = append(got, heading)
		}
		t.Fatalf("want %d sections (every mode the bench runs), got %d:\n%s", len(want), len(sections), strings.Join(got, "\n"))
	}
	ratioCell := regexp.MustCompile(`\| ([0-9.]+)× \(`)
	for i, w := range want {
		sec := sections[i]
		heading, _, _ := strings.Cut(sec, "\n")
		t.Run(w.title, func(t *testing.T) {
			if !strings.Contains(heading, w.title) {
				t.Fatalf("section %d: want %q in the heading %q", i+1, w.title, heading)
			}
			for _, start := range w.runs {
				var line string
				for l := range strings.SplitSeq(sec, "\n") {
					if strings.HasPrefix(strings.Join(strings.Fields(l), " ")+" ", start) {
						line = l
					}
				}
				if line == "" {
					t.Errorf("%s: no run %q", heading, strings.TrimSpace(start))
					continue
				}
				w.runsOK(t, line)
			}
			var row string
			cpu := false
			for l := range strings.SplitSeq(sec, "\n") {
				if strings.HasPrefix(l, "| "+w.ratio) {
					row = l
				}
				cpu = cpu || strings.HasPrefix(l, "| server CPU")
			}
			if w.cpu && !cpu {
				t.Errorf("%s: no server CPU row in the summary", heading)
			}
			m := ratioCell.FindStringSubmatch(row)
			if m == nil {
				t.Fatalf("%s: no ratio on the %q row of the summary (%q)", heading, w.ratio, row)
			}
			if r, err := strconv.ParseFloat(m[1], 64); err != nil || r <= 0 {
				t.Errorf("%s: ratio %q on %q", heading, m[1], row)
			}
		})
	}
}
