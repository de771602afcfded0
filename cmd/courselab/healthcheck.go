package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthcheck asks the server on this machine for /healthz: exit 0 when it
// answers 200 (alive: starting or ready), 1 otherwise. It is the
// container's HEALTHCHECK. With --ready it asks /readyz, which answers 200
// only once the courses are loaded and while the database answers.
func healthcheck(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("courselab healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("COURSELAB_ADDR")
	if def == "" {
		def = ":8080"
	}
	addr := fs.String("addr", def, "the server's HTTP listen address [COURSELAB_ADDR]")
	ready := fs.Bool("ready", false, "check readiness (/readyz: courses loaded, database answering) rather than liveness (/healthz)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	_, port, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: --addr %q: want host:port or :port\n", *addr)
		return 2
	}
	client := &http.Client{Timeout: 3 * time.Second}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + path)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: status", resp.Status)
		return 1
	}
	return 0
}
