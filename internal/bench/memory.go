package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
)

// MemorySignalEnv, set to 1 in a server's environment, makes it answer
// SIGUSR1 with a MemoryReport line: the bench asks each server for its live
// heap during and after a load, which /proc cannot tell.
const MemorySignalEnv = "COURSELAB_BENCH_MEMORY"

// memoryLine is the line ReportMemoryOnSignal writes.
var memoryLine = regexp.MustCompile(`^bench memory: live_heap_bytes=(\d+)`)

// ReportMemoryOnSignal writes, on each SIGUSR1 until ctx ends, the live heap
// ("bench memory: live_heap_bytes=N …") to w. It collects garbage first:
// after a load nothing allocates, so no collection would run for up to two
// minutes and the last one's figure would still be the load's. The bench
// reads the RSS before it asks. With heapPath set it also writes a heap
// profile to heapPath-N.pprof (N counts the signals), to see what is live.
func ReportMemoryOnSignal(ctx context.Context, w io.Writer, heapPath string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		defer signal.Stop(sig)
		samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/released:bytes"}, {Name: "/memory/classes/total:bytes"}}
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-sig:
			}
			runtime.GC()
			metrics.Read(samples)
			if heapPath != "" { // before the line: the line says it is done
				if f, err := os.Create(heapPath + "-" + strconv.Itoa(n) + ".pprof"); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			fmt.Fprintf(w, "bench memory: live_heap_bytes=%d released_bytes=%d runtime_total_bytes=%d\n",
				samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64())
		}
	}()
}
