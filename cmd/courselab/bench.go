package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/courselab/courselab/internal/bench"
)

// benchCmd runs the load generator of issue 11 (see internal/bench), or,
// with --anchor-broker, the plain mochi-mqtt broker it measures against.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("courselab bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	modes := fs.String("mode", "mqtt,latency,rest,check,pages,start", "loads to run, comma-separated: mqtt, latency, rest, check, pages, start")
	qos := fs.String("qos", "0,1", "MQTT mode: QoS levels, comma-separated")
	fs.IntVar(&o.Learners, "learners", 200, "MQTT mode: learners, each with a publisher and a subscriber")
	fs.IntVar(&o.Rate, "rate", 90, "MQTT mode: messages a second each learner publishes")
	fs.IntVar(&o.LatencyLearners, "latency-learners", 50, "latency mode: learners (a load the machine carries, so latency is not queueing)")
	fs.IntVar(&o.LatencyRate, "latency-rate", 20, "latency mode: messages a second each learner publishes")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "MQTT and REST modes: how long each run loads")
	fs.DurationVar(&o.Settle, "settle", 5*time.Second, "MQTT mode: quiet time before memory is read again after the load, and again after the class left")
	fs.IntVar(&o.RESTLearners, "rest-learners", 20, "REST mode: learners posting sensor values")
	fs.IntVar(&o.RESTRate, "rest-rate", 50, "REST mode: posts a second per learner")
	fs.IntVar(&o.CheckLearners, "check-learners", 100, "Check mode: learners pressing Check at once")
	fs.IntVar(&o.PageRequests, "page-requests", 20000, "pages mode: requests per run on each server")
	fs.IntVar(&o.PageClients, "page-clients", 4, "pages mode: keep-alive connections sending them")
	fs.IntVar(&o.Starts, "starts", 10, "start mode: starts of each server")
	fs.IntVar(&o.Rounds, "rounds", 3, "runs on each server, alternating which goes first")
	fs.IntVar(&o.PortBase, "port-base", 0, "listen on 127.0.0.1 ports N..N+2 instead of ports the kernel picks")
	fs.StringVar(&o.ProfileDir, "profile", "", "folder for pprof CPU and heap profiles of each courselab run")
	anchor := fs.Bool("anchor-broker", false, "serve only the anchor broker (plain mochi-mqtt) until interrupted")
	anchorFiles := fs.String("anchor-files", "", "serve only the pages anchor (net/http's FileServer over this folder) until interrupted")
	anchorAddr := fs.String("anchor-addr", "127.0.0.1:0", "with --anchor-broker or --anchor-files: its listen address")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: courselab bench [flags]\n\nStarts a courselab server in classroom mode and a plain mochi-mqtt broker on loopback,\nputs the same load on each in turn and prints the figures with their ratios.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *anchorFiles != "" {
		if err := bench.ServeAnchorFiles(ctx, *anchorFiles, *anchorAddr, stdout); err != nil {
			fmt.Fprintln(stderr, "courselab bench:", err)
			return 1
		}
		return 0
	}
	if *anchor {
		if err := bench.ServeAnchorBroker(ctx, *anchorAddr, stdout); err != nil {
			fmt.Fprintln(stderr, "courselab bench:", err)
			return 1
		}
		return 0
	}
	o.Modes = strings.Split(*modes, ",")
	for _, q := range strings.Split(*qos, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(q))
		if err != nil || n < 0 || n > 1 {
			fmt.Fprintf(stderr, "courselab bench: --qos %q: use 0, 1 or 0,1\n", *qos)
			return 2
		}
		o.QoS = append(o.QoS, byte(n))
	}
	if o.Settle == 0 {
		o.Settle = -1 // no settle: 0 would mean the default
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "courselab bench: cannot find this program's file to start the servers:", err)
		return 1
	}
	o.Exe = exe
	if err := bench.Run(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "courselab bench:", err)
		return 1
	}
	return 0
}
