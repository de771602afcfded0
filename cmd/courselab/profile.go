package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes pprof profiles of the whole run when asked through
// the environment (COURSELAB_CPU_PROFILE, COURSELAB_HEAP_PROFILE: file
// paths), as `courselab bench --profile` does for the servers it starts.
// The heap profile is written when the server stops, after a GC. The
// returned function stops and writes them.
func startProfiles(cpuPath, heapPath string) (func(), error) {
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
		cpu = f
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if heapPath != "" {
			f, err := os.Create(heapPath)
			if err != nil {
				return
			}
			runtime.GC()
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}, nil
}
