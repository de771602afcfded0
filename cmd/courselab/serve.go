package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/bench"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/connlimit"
	"github.com/courselab/courselab/internal/secret"
	"github.com/courselab/courselab/internal/server"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
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
	stopProfiles, err := startProfiles(os.Getenv("COURSELAB_CPU_PROFILE"), os.Getenv("COURSELAB_HEAP_PROFILE"))
	if err != nil {
		fmt.Fprintln(stderr, "courselab:", err)
		return 1
	}
	defer stopProfiles()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv(bench.MemorySignalEnv) == "1" {
		bench.ReportMemoryOnSignal(ctx, stderr, strings.TrimSuffix(os.Getenv("COURSELAB_HEAP_PROFILE"), ".pprof"))
	}
	if err := serveUntilDone(ctx, cfg, logger, stdout); err != nil {
		logger.Error("courselab stopped", "err", err)
		return 1
	}
	return 0
}

// serveUntilDone runs the platform until ctx is cancelled, then shuts down
// gracefully: in-flight requests get a few seconds to finish.
//
// It listens first and loads afterwards: within milliseconds of starting,
// /healthz answers 200 "starting" and /readyz 503 (server.StartGate), and
// a page asked for meanwhile waits for the catalog. MQTT connections wait
// in the listen queue until the labs are up. The "serving" log line comes
// when everything is ready.
func serveUntilDone(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if err := loadSecrets(&cfg, logger, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (is another courselab running? choose another port with --addr): %w", cfg.Addr, err)
	}
	mqttLn, err := net.Listen("tcp", cfg.MQTTAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("listen for MQTT on %s (is a broker such as mosquitto already running? stop it or choose another port with --mqtt-addr): %w", cfg.MQTTAddr, err)
	}
	defer mqttLn.Close()
	cfg.MQTTAddr = mqttLn.Addr().String()

	ln = connlimit.Wrap(ln, connLimits(cfg, refuseHTTP))
	mqttLn = connlimit.Wrap(mqttLn, connLimits(cfg, refuseMQTT))
	warnFileLimit(cfg, logger)

	// Request bodies get their own deadline (server.BodyTimeout), set by the
	// handler: a server-wide ReadTimeout would also end the live streams.
	gate := server.NewStartGate()
	httpSrv := &http.Server{
		Handler:           gate,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	// Ends the HTTP side if starting fails; after a graceful Shutdown it
	// has nothing left to do.
	defer httpSrv.Close()

	catalog, err := loadCatalog(ctx, cfg, logger)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, databaseTarget(cfg))
	if err != nil {
		return err
	}
	defer st.Close()

	lab := labs.New(labs.Config{Classroom: cfg.Classroom, IdleTimeout: cfg.IdleTimeout, MaxSandboxes: cfg.MaxLearners,
		Secret: []byte(cfg.Secret), Logger: logger})
	defer lab.Close()
	if !cfg.Classroom {
		lab.SetPersonal(labs.PersonalLearner, labs.DefaultSetup())
	}
	srv, err := server.New(cfg, catalog, lab, st, logger)
	if err != nil {
		return err
	}
	// Rendering the catalog allocates about three times what it keeps
	// (chroma's tokens for every code block, goldmark's trees): give that
	// back to the system once, now, rather than leave the heap at its
	// high-water mark until the scavenger returns it over the next
	// minutes. One collection of a heap of a few MiB, before any learner
	// is served (issue 11: RSS at ready).
	debug.FreeOSMemory()
	gate.Ready(srv.Handler())
	go func() {
		if err := lab.Front().ServeTCP(mqttLn); err != nil {
			logger.Error("MQTT listener stopped", "err", err)
		}
	}()

	fmt.Fprintf(stdout, "courselab is serving %d course(s) on %s\n", len(catalog.Catalog().Courses), browseURL(ln.Addr()))
	fmt.Fprintf(stdout, "MQTT on %s (TCP) and %s (WebSocket)\n",
		strings.Replace(browseURL(mqttLn.Addr()), "http", "mqtt", 1), strings.Replace(browseURL(ln.Addr()), "http", "ws", 1)+"/mqtt")
	logger.Info("serving", "addr", ln.Addr().String(), "mqtt", mqttLn.Addr().String(), "mode", modeName(cfg), "data", cfg.Data, "database", st.Name())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	mqttLn.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// WebSocket MQTT connections are hijacked, so Shutdown does not wait for
	// them; closing the labs ends them and every TCP client.
	srv.EndStreams() // else Shutdown waits for every open event stream
	err = httpSrv.Shutdown(shutdownCtx)
	srv.Close()
	if cerr := lab.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// HTTP timeouts: a client must send its request line and headers within
// headerTimeout, and a kept-alive connection with no request is closed after
// idleTimeout.
const (
	headerTimeout = 10 * time.Second
	idleTimeout   = 2 * time.Minute
)

// connLimits are the caps of one listener. A trusted proxy carries many
// people on one address, so only the total cap applies to it.
func connLimits(cfg config.Config, refuse func(net.Conn, connlimit.Reason)) connlimit.Limits {
	return connlimit.Limits{Total: cfg.MaxConns, PerAddr: cfg.MaxConnsPerAddr, Exempt: cfg.Trusts, Refuse: refuse}
}

// refuseHTTP answers a connection over a cap with a 503 the browser shows.
// Nothing has been read from it: it costs one small write.
func refuseHTTP(c net.Conn, reason connlimit.Reason) {
	msg := "The server has as many connections as it can hold right now. Wait a few seconds and reload the page.\n"
	if reason == connlimit.OverPerAddr {
		msg = "Too many connections are open from your address. Close tabs or programs you have connected to courselab, then reload the page.\n"
	}
	_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
}

// databaseTarget is the --database URL, or the SQLite file in --data.
func databaseTarget(cfg config.Config) string {
	if cfg.Database != "" {
		return cfg.Database
	}
	return filepath.Join(cfg.Data, "courselab.db")
}

// refuseMQTT answers a connection over a cap with an MQTT 3.1.1 CONNACK
// "server unavailable" (0x03), written before the client's CONNECT is read:
// mosquitto_sub and MQTT.js then say "Connection Refused: server
// unavailable" instead of a bare "connection lost".
func refuseMQTT(c net.Conn, _ connlimit.Reason) {
	_, _ = c.Write([]byte{0x20, 0x02, 0x00, 0x03})
}

// loadSecrets fills cfg.Secret from --secret-file or the data folder, and
// in classroom mode the instructor token: from the flag; derived from the
// shared secret when there is one, so every node of a cluster accepts it;
// or kept in the data folder and printed once, the first time.
func loadSecrets(cfg *config.Config, logger *slog.Logger, stdout io.Writer) error {
	if cfg.SecretFile != "" {
		v, err := secret.Load(cfg.SecretFile)
		if err != nil {
			return err
		}
		cfg.Secret = v
		if cfg.Classroom && cfg.InstructorToken == "" {
			cfg.InstructorToken = secret.Derive(v, "instructor token")
			fmt.Fprintf(stdout, "\nInstructor token (derived from %s, the same on every node that shares it):\n\n    %s\n\n", cfg.SecretFile, cfg.InstructorToken)
		}
		return nil
	}
	v, _, err := secret.LoadOrCreate(filepath.Join(cfg.Data, "secret"), 32)
	if err != nil {
		return err
	}
	cfg.Secret = v
	if !cfg.Classroom || cfg.InstructorToken != "" {
		return nil
	}
	file := filepath.Join(cfg.Data, "instructor-token")
	tok, created, err := secret.LoadOrCreate(file, 16)
	if err != nil {
		return err
	}
	cfg.InstructorToken = tok
	if created {
		fmt.Fprintf(stdout, "\nInstructor token (shown once, kept in %s):\n\n    %s\n\nOpen /teach and enter it to see your class.\n\n", file, tok)
	} else {
		logger.Info("instructor token loaded", "file", file)
	}
	return nil
}

// loadCatalog reads the embedded courses, or the --courses folder, which
// is watched: an edit shows on the next page load. Problems in single
// courses are logged, one line each, and do not stop the server.
func loadCatalog(ctx context.Context, cfg config.Config, logger *slog.Logger) (server.CatalogSource, error) {
	opts := content.Options{LabDefaults: personalLabDefaults(cfg)}
	if cfg.Courses == "" {
		cat := content.Load(courses.FS, opts)
		for _, p := range cat.Problems {
			logger.Warn("course problem", "problem", p.String())
		}
		logger.Info("courses loaded", "from", "bundled", "courses", len(cat.Courses), "problems", len(cat.Problems))
		return server.StaticCatalog{C: cat}, nil
	}
	st, err := os.Stat(cfg.Courses)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--courses %s: not a folder of courses", cfg.Courses)
	}
	// Opened so that nothing outside the folder is ever read, links included.
	fsys, err := content.OpenDir(cfg.Courses)
	if err != nil {
		return nil, fmt.Errorf("--courses %s: %w", cfg.Courses, err)
	}
	r := content.NewReloader(fsys, opts, logger)
	r.Start(ctx)
	logger.Info("courses loaded", "from", cfg.Courses, "serving", r.Catalog().Summary().String(), "watching", true)
	return r, nil
}

// personalLabDefaults are the placeholder values of a page rendered for
// nobody in particular: a learner on this machine in personal mode.
func personalLabDefaults(cfg config.Config) map[string]string {
	_, httpPort, _ := net.SplitHostPort(cfg.Addr)
	_, mqttPort, _ := net.SplitHostPort(cfg.MQTTAddr)
	web := "localhost:" + httpPort
	return map[string]string{
		"mqtt_url": "mqtt://localhost:" + mqttPort, "ws_url": "ws://" + web + "/mqtt", "api_base": "http://" + web + "/api/v2",
		"mqtt_host": "localhost", "mqtt_port": mqttPort, "mosquitto_auth": "", "curl_auth": "", "mqttjs_options": "{}",
		"username": "", "password": "", "token": "",
	}
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
