package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/server"
)

func usage(w io.Writer) { config.Usage(w) }

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Parse(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "courselab:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveUntilDone(ctx, cfg, logger, stdout); err != nil {
		logger.Error("courselab stopped", "err", err)
		return 1
	}
	return 0
}

// serveUntilDone runs the platform until ctx is cancelled, then shuts down
// gracefully: in-flight requests get a few seconds to finish.
func serveUntilDone(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	catalog, err := loadCatalog(cfg, logger)
	if err != nil {
		return err
	}
	srv, err := server.New(cfg, catalog, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another courselab running? choose another port with --addr): %w", cfg.Addr, err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()

	fmt.Fprintf(stdout, "courselab is serving %d course(s) on %s\n", len(catalog.Catalog().Courses), browseURL(ln.Addr()))
	logger.Info("serving", "addr", ln.Addr().String(), "mode", modeName(cfg), "data", cfg.Data)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loadCatalog reads the embedded courses, or the --courses folder. Problems
// in single courses are logged, one line each, and do not stop the server.
func loadCatalog(cfg config.Config, logger *slog.Logger) (server.CatalogSource, error) {
	var fsys fs.FS = courses.FS
	source := "bundled"
	if cfg.Courses != "" {
		st, err := os.Stat(cfg.Courses)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--courses %s: not a folder of courses", cfg.Courses)
		}
		fsys = os.DirFS(cfg.Courses)
		source = cfg.Courses
	}
	cat := content.Load(fsys, content.Options{})
	for _, p := range cat.Problems {
		logger.Warn("course problem", "problem", p.String())
	}
	logger.Info("courses loaded", "from", source, "courses", len(cat.Courses), "problems", len(cat.Problems))
	return server.StaticCatalog{C: cat}, nil
}

func modeName(cfg config.Config) string {
	if cfg.Classroom {
		return "classroom"
	}
	return "personal"
}

// browseURL is the address to print for a person to open.
func browseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
