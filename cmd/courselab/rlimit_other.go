//go:build !unix

package main

import (
	"log/slog"

	"github.com/courselab/courselab/internal/config"
)

// warnFileLimit has nothing to check where there is no RLIMIT_NOFILE.
func warnFileLimit(config.Config, *slog.Logger) {}
