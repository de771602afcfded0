package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// fuzzTargets are the fuzz targets CI runs briefly (issues 3 and 9), each
// as the command a developer can paste to run it longer.
var fuzzTargets = []struct{ name, pkg string }{
	{"FuzzFrontFirstPacket", "./labs/"},
	{"FuzzCloudAPIBodies", "./internal/cloudapi/"},
}

func fuzzCommand(name, pkg string) []string {
	return []string{"test", "-run", "^$", "-fuzz", "^" + name + "$",
		"-fuzztime", "5s", "-fuzzminimizetime", "5s", "-parallel", "1", pkg}
}

// TestFuzzTargetsFindNoCrasher runs each fuzz target for a few seconds
// under CI=true, so that `go test ./...` stays the one test command and CI
// still fuzzes. It is not parallel: it runs before the other tests of this
// package, with one fuzz worker, so the other packages' tests, which go
// test runs at the same time, keep a core. The harnesses let a panic reach
// the fuzzer (and fail on errors logged by a recovered one). A crasher fails
// the test; Go keeps it under the package's testdata/fuzz/<target>/ as a
// regression case to commit with the fix.
func TestFuzzTargetsFindNoCrasher(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing takes a few seconds per target; skipped with -short")
	}
	for _, ft := range fuzzTargets {
		args := fuzzCommand(ft.name, ft.pkg)
		t.Run(ft.name, func(t *testing.T) {
			if !inCI() {
				t.Skip("the bounded fuzz run happens under CI=true; run it here with: go " + strings.Join(args, " "))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = repoRoot
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go %s: %v after %v\n%s", strings.Join(args, " "), err, time.Since(start).Round(time.Second), out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			t.Logf("fuzzed for %v: %s", time.Since(start).Round(time.Second), lines[max(0, len(lines)-3)])
		})
	}
}
