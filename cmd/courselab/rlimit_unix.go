//go:build unix

package main

import (
	"log/slog"
	"syscall"

	"github.com/courselab/courselab/internal/config"
)

// warnFileLimit says so at start when the connection caps could need more
// file descriptors than the process may open: past that limit, accept fails
// for everyone instead of the caps refusing the excess. (The Go runtime has
// already raised the soft limit to the hard one.)
func warnFileLimit(cfg config.Config, logger *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	need := uint64(2*cfg.MaxConns) + 256 // two listeners, plus the database, course files and logs
	if lim.Cur < need {
		logger.Warn("open file limit below the connection caps: raise it (ulimit -n) or lower --max-conns",
			"limit", lim.Cur, "max_conns", cfg.MaxConns, "needed", need)
	}
}
