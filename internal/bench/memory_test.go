package bench

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestMemoryReportAnswersTheSignal: a process reporting its memory answers
// each SIGUSR1 with a line the bench reads (a plausible live heap) and a
// heap profile per signal.
func TestMemoryReportAnswersTheSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w := io.Pipe()
	heap := filepath.Join(t.TempDir(), "run.heap")
	ReportMemoryOnSignal(ctx, w, heap)
	lines := bufio.NewScanner(r)
	for n := 1; n <= 2; n++ {
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if !lines.Scan() {
			t.Fatal("no answer to SIGUSR1")
		}
		m := memoryLine.FindStringSubmatch(lines.Text())
		if m == nil {
			t.Fatalf("answer %q is not a memory line", lines.Text())
		}
		if b, _ := strconv.ParseUint(m[1], 10, 64); b < 64<<10 || b > 1<<30 {
			t.Errorf("live heap %d bytes: not plausible for a test binary", b)
		}
		if fi, err := os.Stat(heap + "-" + strconv.Itoa(n) + ".pprof"); err != nil || fi.Size() == 0 {
			t.Errorf("heap profile %d: %v", n, err)
		}
	}
}
