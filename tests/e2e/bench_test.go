package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestBenchCommandMeasuresBothServers runs `courselab bench` small: a few
// learners for one second in every mode. Each mode must run on courselab
// and on the anchor broker, deliver every message it sent (nothing failed),
// have every Check pass, and print its ratios.
func TestBenchCommandMeasuresBothServers(t *testing.T) {
	if binary == "" {
		t.Skip("starts the real binary; skipped with -short")
	}
	out, err := exec.Command(binary, "bench", "--rounds", "1", "--learners", "4", "--rate", "20", "--duration", "1s",
		"--settle", "0", "--rest-learners", "2", "--rest-rate", "20", "--check-learners", "4").CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("courselab bench: %v\n%s", err, text)
	}
	for _, want := range []string{"QoS 0", "QoS 1", "REST POST → subscriber", "Check burst"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q section in:\n%s", want, text)
		}
	}
	runs := regexp.MustCompile(`(?m)^round 1 (mochi|courselab) +(.*)$`).FindAllStringSubmatch(text, -1)
	if len(runs) != 8 {
		t.Fatalf("want 8 runs (4 modes × 2 servers), got %d:\n%s", len(runs), text)
	}
	sentAll := regexp.MustCompile(`delivered \((\d+) sent, 0 failed\)`)
	for _, r := range runs {
		if strings.Contains(r[2], "all answered") {
			if !strings.Contains(r[2], "4/4 passed, 0 failed") {
				t.Errorf("%s: not every Check passed: %s", r[1], r[2])
			}
			continue
		}
		m := sentAll.FindStringSubmatch(r[2])
		if m == nil || m[1] == "0" {
			t.Errorf("%s: messages failed or none sent: %s", r[1], r[2])
		}
	}
	if n := strings.Count(text, "| server CPU"); n != 4 {
		t.Errorf("want a summary table with CPU for each of the 4 modes, got %d:\n%s", n, text)
	}
	t.Log(text)
}
