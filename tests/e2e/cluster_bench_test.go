package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/internal/pgtest"
)

// BenchmarkJoinToFirstCheck measures what a learner waits from joining to
// the answer of their first Check, through HAProxy to a three-node cluster
// and directly to one of its nodes (the anchor, same run): POST /join, GET
// /api/lab, an MQTT client (paho.golang, TCP) connects and subscribes to
// devices/ESPDEVICE/#, Check on all-device-values over REST. One op is one
// learner.
//
//	go test -run '^$' -bench JoinToFirstCheck -benchtime 100x ./tests/e2e/
func BenchmarkJoinToFirstCheck(b *testing.B) {
	c := startCluster(b)
	for _, way := range []struct {
		name  string
		front *server
	}{{"direct", c.nodes[0]}, {"haproxy", c.front}} {
		b.Run(way.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				l := &clusterLearner{learner: way.front.join(b, fmt.Sprintf("%s %d", way.name, i))}
				l.subscribed = make(chan struct{}, 1)
				if err := l.dialTCP(way.front); err != nil {
					b.Fatal(err)
				}
				if ok, body, err := l.check(way.front); err != nil || !ok {
					b.Fatalf("Check: %v %s", err, body)
				}
				i++
			}
		})
	}
}

// BenchmarkClusterLoad runs a class of learners that each publish 50
// messages a second to their own sandbox, through a client subscribed to
// them, for 5 s: on one node reached directly (the anchor) and on three
// nodes behind HAProxy, all on this machine. It reports the CPU the nodes
// (and HAProxy) used, what a node needs per learner (learners per core at
// this rate, MiB of resident memory per learner) and the messages
// delivered, against what was offered and sent (the publishers share this
// machine's cores and may fall short). On one machine three nodes cannot beat one: the ratio is the
// cost of routing; the per-node figures size a deployment on real machines.
// COURSELAB_BENCH_LEARNERS sets the class size (default 300).
//
//	go test -run '^$' -bench ClusterLoad -benchtime 1x ./tests/e2e/
func BenchmarkClusterLoad(b *testing.B) {
	learners := 300
	if n, err := strconv.Atoi(os.Getenv("COURSELAB_BENCH_LEARNERS")); err == nil && n > 0 {
		learners = n
	}
	const rate, seconds = 50, 5
	b.Run("1-node-direct", func(b *testing.B) {
		db := pgtest.Database(b)
		secretFile := filepath.Join(b.TempDir(), "secret")
		os.WriteFile(secretFile, []byte(strings.Repeat("0123456789abcdef", 4)), 0o600)
		n := startServerOn(b, true, b.TempDir(), "COURSELAB_DATABASE="+db, "COURSELAB_SECRET_FILE="+secretFile,
			"COURSELAB_JOINS_PER_MINUTE=10000", "COURSELAB_MAX_CONNS_PER_ADDR=100000")
		for b.Loop() {
			runLoad(b, n, []*exec.Cmd{n.cmd}, nil, learners, rate, seconds)
		}
	})
	b.Run("3-nodes-haproxy", func(b *testing.B) {
		b.Setenv("COURSELAB_PROXY_MAX_CONNS_PER_ADDR", "100000") // the whole class comes from 127.0.0.1
		c := startCluster(b)
		cmds := []*exec.Cmd{c.nodes[0].cmd, c.nodes[1].cmd, c.nodes[2].cmd}
		for b.Loop() {
			runLoad(b, c.front, cmds, c.haproxy, learners, rate, seconds)
		}
	})
}

// runLoad joins learners through front, starts their publishers and
// measures the processes behind it.
func runLoad(b *testing.B, front *server, nodes []*exec.Cmd, haproxy *exec.Cmd, learners, rate, seconds int) {
	rssBefore := 0.0
	for _, n := range nodes {
		rssBefore += rssMiB(b, n.Process.Pid)
	}
	var delivered atomic.Int64
	clients := make([]*paho.Client, learners)
	sem := make(chan struct{}, 20)
	var wg sync.WaitGroup
	for i := range learners {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l := front.join(b, fmt.Sprintf("Load %d", i))
			conn, err := net.DialTimeout("tcp", front.MQTT, 5*time.Second)
			if err != nil {
				b.Error(err)
				return
			}
			c := paho.NewClient(paho.ClientConfig{Conn: conn, PacketTimeout: 10 * time.Second,
				OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(paho.PublishReceived) (bool, error) {
					delivered.Add(1)
					return true, nil
				}}})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := c.Connect(ctx, &paho.Connect{KeepAlive: 60, ClientID: l.Lab.Username + "-load", CleanStart: true,
				Username: l.Lab.Username, UsernameFlag: true, Password: []byte(l.Lab.Password), PasswordFlag: true}); err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "load/+"}}}); err != nil {
				b.Error(err)
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	rssJoined := 0.0
	for _, n := range nodes {
		rssJoined += rssMiB(b, n.Process.Pid)
	}
	delivered.Store(0)
	var sent, failed atomic.Int64
	cpuBefore, hBefore := cpuSeconds(b, nodes), cpuSeconds(b, []*exec.Cmd{haproxy})
	start := time.Now()
	stop := time.Now().Add(time.Duration(seconds) * time.Second)
	payload := []byte(`{"value":21.5}`)
	for i, c := range clients {
		wg.Go(func() {
			// Spread the publishers over the first tick.
			time.Sleep(time.Duration(i) * time.Second / time.Duration(rate) / time.Duration(len(clients)))
			t := time.NewTicker(time.Second / time.Duration(rate))
			defer t.Stop()
			for now := range t.C {
				if now.After(stop) {
					return
				}
				if _, err := c.PublishWithOptions(context.Background(), &paho.Publish{Topic: "load/t", Payload: payload}, paho.PublishOptions{Method: paho.PublishMethod_AsyncSend}); err != nil {
					failed.Add(1)
				} else {
					sent.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu, hcpu := cpuSeconds(b, nodes)-cpuBefore, cpuSeconds(b, []*exec.Cmd{haproxy})-hBefore
	cores := cpu / elapsed
	b.ReportMetric(cores, "node-cores")
	b.ReportMetric(hcpu/elapsed, "haproxy-cores")
	// The publishers run in this process on the same cores and may fall
	// short of the offered rate: count learners at the rate actually sent.
	b.ReportMetric(float64(sent.Load())/elapsed/float64(rate)/cores, "learners/core")
	b.ReportMetric((rssJoined-rssBefore)/float64(learners), "MiB/learner")
	b.ReportMetric(float64(delivered.Load())/elapsed, "delivered/s")
	b.ReportMetric(float64(learners*rate), "offered/s")
	b.ReportMetric(float64(sent.Load())/elapsed, "sent/s")
	if failed.Load() > 0 {
		b.Logf("%d publishes failed", failed.Load())
	}
	for _, c := range clients {
		_ = c.Disconnect(&paho.Disconnect{})
	}
}

// cpuSeconds is the user+system CPU time the processes have used.
func cpuSeconds(b *testing.B, cmds []*exec.Cmd) float64 {
	total := 0.0
	for _, c := range cmds {
		if c == nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name (which may hold spaces): utime is
		// the 12th, stime the 13th, in clock ticks (100 a second).
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / 100
	}
	return total
}

// rssMiB is the resident memory of a process.
func rssMiB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
