package labs_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// BenchmarkProvisionSandbox measures creating a sandbox with the MQTT
// course's set-up (broker, hooks, cloud model); p50-ns is the median.
func BenchmarkProvisionSandbox(b *testing.B) {
	l := labtest.NewLabs(b, labs.Config{MaxSandboxes: 1 << 30})
	setup := labs.DefaultSetup()
	d := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := l.Sandbox("learner-"+strconv.Itoa(i), setup); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), "p50-ns")
}

func cpuTime() time.Duration {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// BenchmarkIdleSandboxes provisions N sandboxes, then reports the heap each
// costs and the process CPU they burn while idle (as % of one core) over
// IDLE_SECONDS (default 10). Run with -benchtime=1x.
func BenchmarkIdleSandboxes(b *testing.B) {
	secs := 10
	if s, err := strconv.Atoi(os.Getenv("IDLE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				l := labtest.NewLabs(b, labs.Config{MaxSandboxes: n})
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				setup := labs.DefaultSetup()
				for i := range n {
					if _, err := l.Sandbox("learner-"+strconv.Itoa(i), setup); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/sandbox")
				c0, t0 := cpuTime(), time.Now()
				time.Sleep(time.Duration(secs) * time.Second)
				cpu, wall := cpuTime()-c0, time.Since(t0)
				b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%core")
				b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
				_ = l.Close()
			}
		})
	}
}

// BenchmarkFrontThroughput publishes QoS 1 messages (8 in flight) from one
// client to one QoS 1 subscriber of the same sandbox through the TCP front.
// QoS 1 because QoS 0 may be dropped by design when a reader falls behind.
// journal=off runs it without the journal hook (journal and protocol
// coach): the difference is what journaling costs the front. Compare with
// -count and interleaved runs, e.g.
// go test -run '^$' -bench FrontThroughput -count 6 ./labs/
func BenchmarkFrontThroughput(b *testing.B) {
	for _, journal := range []bool{true, false} {
		name := "journal=on"
		if !journal {
			name = "journal=off"
		}
		b.Run(name, func(b *testing.B) { frontThroughput(b, journal) })
	}
}

func frontThroughput(b *testing.B, journal bool) {
	l := labtest.NewLabs(b, labs.Config{Limits: labs.Limits{PublishRate: 1e9, PublishBurst: 1 << 30}})
	if !journal {
		labs.WithoutJournal(l)
	}
	addr := labtest.StartFront(b, l)
	sub := labtest.MustDial(b, addr, &paho.Connect{ClientID: "sub", CleanStart: true})
	got := make(chan struct{}, 1<<16)
	sub.AddOnPublishReceived(func(paho.PublishReceived) (bool, error) { got <- struct{}{}; return true, nil })
	sub.Sub(b, "bench", 1)
	pub := labtest.MustDial(b, addr, &paho.Connect{ClientID: "pub", CleanStart: true})
	payload := `{"value":21.5}`
	b.ResetTimer()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		for range b.N {
			<-got
		}
		close(done)
	}()
	const inFlight = 8
	var wg sync.WaitGroup
	for w := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += inFlight {
				_, _ = pub.Publish(context.Background(), &paho.Publish{Topic: "bench", Payload: []byte(payload), QoS: 1})
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatal("messages lost")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
