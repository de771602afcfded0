// Command courselab-load throws issue 9's "slow bodies" attack at a
// classroom courselab running on this machine, and says whether a learner
// already in the class could still work meanwhile:
//
//	courselab --classroom --addr 127.0.0.1:18200 --mqtt-addr 127.0.0.1:18201 --data "$(mktemp -d)" &
//	go run ./cmd/courselab-load --http 127.0.0.1:18200 --mqtt 127.0.0.1:18201
//
// By default 20,000 connections trickle a POST /join body one byte every
// 5 s from 40 addresses, and 5,000 connections sit idle on the MQTT port
// from 20 addresses, while the learner loads a section page and presses
// Check every second from an address of its own. It exits 1 when one of the
// learner's requests failed or took 2 s or more. Loopback only: the
// addresses are 127.x.y.z. It raises its own open-file limit (as root it can
// raise the hard limit too).
//go:build unix

package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/courselab/courselab/internal/abuse"
)

// learnerBound is what a learner must see under attack: every page and
// every Check answered within it.
const learnerBound = 2 * time.Second

func main() {
	var s abuse.Scenario
	flag.StringVar(&s.HTTP, "http", "127.0.0.1:18200", "the server's HTTP address (classroom mode)")
	flag.StringVar(&s.MQTT, "mqtt", "127.0.0.1:18201", "the server's MQTT address")
	flag.IntVar(&s.SlowBodies, "slow-bodies", 20000, "slow-body POST /join connections to keep open")
	flag.IntVar(&s.SlowSources, "slow-sources", 40, "source addresses they come from (127.1.x.y)")
	flag.IntVar(&s.IdleMQTT, "idle-mqtt", 5000, "idle MQTT connections to keep open")
	flag.IntVar(&s.MQTTSources, "mqtt-sources", 20, "source addresses they come from (127.2.x.y)")
	flag.DurationVar(&s.Trickle, "trickle", 5*time.Second, "one body byte this often")
	flag.DurationVar(&s.Retry, "retry", 5*time.Second, "an attacker reopens a closed connection after this")
	flag.DurationVar(&s.Ramp, "ramp", 20*time.Second, "open the attack's connections over this long")
	flag.DurationVar(&s.Duration, "duration", 60*time.Second, "measure the learner under attack this long")
	flag.DurationVar(&s.Every, "every", time.Second, "pause between two of the learner's page+Check rounds")
	flag.StringVar(&s.Section, "section", "/courses/mqtt_course/introduction", "section page the learner loads")
	flag.StringVar(&s.Check, "check", "/api/courses/mqtt_course/exercises/qos-levels/check", "Check the learner presses (POST)")
	learner := flag.String("learner", "127.3.0.1", "the learner's source address")
	flag.Parse()
	var err error
	if s.Learner, err = netip.ParseAddr(*learner); err != nil || !s.Learner.IsLoopback() {
		fatal(fmt.Errorf("--learner %q: want a loopback address such as 127.3.0.1", *learner))
	}
	for _, a := range []string{s.HTTP, s.MQTT} {
		host, _, err := net.SplitHostPort(a)
		if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
			fatal(fmt.Errorf("%q: the load command only targets loopback (127.0.0.1:port)", a))
		}
	}
	raiseFileLimit(uint64(s.SlowBodies + s.IdleMQTT + 1024))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	r, err := s.Run(ctx, os.Stdout)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("\n%d slow-body connections from %d addresses and %d idle MQTT connections from %d addresses, %v under attack (%v in all)\n",
		s.SlowBodies, s.SlowSources, s.IdleMQTT, s.MQTTSources, s.Duration, time.Since(start).Round(time.Second))
	ok := r.Page.Failed == 0 && r.Chk.Failed == 0 && r.Page.N > 0 && r.Chk.N > 0 && r.Page.Max < learnerBound && r.Chk.Max < learnerBound
	if !ok {
		fmt.Printf("FAILS: the learner's page or Check failed or took %v or more\n", learnerBound)
		os.Exit(1)
	}
	fmt.Printf("HOLDS: every page and Check of the learner answered in under %v\n", learnerBound)
}

// raiseFileLimit lets this process hold want sockets, as far as it may.
func raiseFileLimit(want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= want {
		return
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next)
		fmt.Fprintf(os.Stderr, "courselab-load: may open only %d files (wanted %d): run as root or raise ulimit -n\n", lim.Max, want)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "courselab-load:", err)
	os.Exit(2)
}
