package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// fuzzFront is the bounded fuzz run of the front's first-packet handling
// that CI does (issue 3), as a command a developer can paste.
var fuzzFront = []string{"test", "-run", "^$", "-fuzz", "^FuzzFrontFirstPacket$",
	"-fuzztime", "30s", "-fuzzminimizetime", "10s", "-parallel", "1", "./labs/"}

// TestFrontFirstPacketFuzzingFindsNoCrasher runs the fuzz target of labs
// for a bounded time under CI=true, so that `go test ./...` stays the one
// test command and CI still fuzzes. It is not parallel: it runs before the
// other tests of this package, with one fuzz worker, so the other packages'
// tests, which go test runs at the same time, keep a core. A crasher fails
// the test; Go keeps it under labs/testdata/fuzz/FuzzFrontFirstPacket/ as a
// regression case for the labs owners to commit with the fix.
func TestFrontFirstPacketFuzzingFindsNoCrasher(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing takes 30 s; skipped with -short")
	}
	if !inCI() {
		t.Skip("the bounded fuzz run happens under CI=true; run it here with: go " + strings.Join(fuzzFront, " "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", fuzzFront...)
	cmd.Dir = repoRoot
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v after %v\n%s", strings.Join(fuzzFront, " "), err, time.Since(start).Round(time.Second), out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Logf("fuzzed for %v: %s", time.Since(start).Round(time.Second), lines[max(0, len(lines)-3)])
}
