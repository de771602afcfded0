package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTeachDashboardsWhileLearnersAnswer measures what open
// instructor dashboards cost the server while a class works: 1,000
// learners each answer a quiz once a second (real HTTP requests, the real
// SQLite store), alternately wrong and right so that every answer changes
// a cell. Phases of COURSELAB_BENCH_SECONDS (default 5) alternate between
// no dashboard open (the anchor) and 10 dashboards, each its own
// instructor session on /teach/events, COURSELAB_BENCH_ROUNDS times
// (default 3). The process CPU (getrusage) includes the load generator
// and the dashboards' readers, which is why the figure that counts is the
// difference to the anchor.
//
//	go test -run '^$' -bench TeachDashboardsWhileLearnersAnswer -benchtime 1x ./internal/server
func BenchmarkTeachDashboardsWhileLearnersAnswer(b *testing.B) {
	const learners, dashboards, workers = 1000, 10, 64
	seconds := envInt(b, "COURSELAB_BENCH_SECONDS", 5)
	rounds := envInt(b, "COURSELAB_BENCH_ROUNDS", 3)
	ts := startServer(b, quizFixture(), true)
	ts.cfg.MaxLearners = 0
	ids := fillClass(b, ts, learners)
	cookies := make([]string, len(ids))
	for i, id := range ids {
		cookies[i] = learnerCookie + "=" + ts.srv.cookies.Sign(id)
	}
	var teachers []*http.Client
	for i := range dashboards {
		teachers = append(teachers, signedInInstructor(b, ts, fmt.Sprintf("instructor %d", i)))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}

	// phase runs the class for the given time with open dashboards and
	// returns the process CPU per second, the answers per second and the
	// bytes each dashboard received per second.
	phase := func(open int) loadPhase {
		ctx, cancel := context.WithCancel(context.Background())
		var received, tables atomic.Int64
		var readers sync.WaitGroup
		for _, teacher := range teachers[:open] {
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/teach/events", nil)
			resp, err := teacher.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("dashboard: %v %v", resp, err)
			}
			readers.Add(1)
			go func() {
				defer readers.Done()
				defer resp.Body.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := resp.Body.Read(buf)
					received.Add(int64(n))
					tables.Add(int64(bytes.Count(buf[:n], []byte("event: table\n"))))
					if err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Second) // the first page of each is sent: not counted
		received.Store(0)
		tables.Store(0)

		jobs := make(chan int, learners)
		var done, failed atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range jobs {
					i, second := k%learners, k/learners
					body := `{"answer":"a1"}`
					if (i+second)%2 == 1 {
						body = `{"answer":"a2"}`
					}
					req, _ := http.NewRequest("POST", ts.URL+"/api/courses/quizzy/quizzes/qos/answer", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Cookie", cookies[i])
					resp, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failed.Add(1)
						continue
					}
					done.Add(1)
				}
			}()
		}
		before := processCPU(b)
		start := time.Now()
		// Every 10 ms the next tenth of a hundredth of the class answers:
		// each learner once a second, spread evenly.
		tick := time.NewTicker(10 * time.Millisecond)
		const perTick = learners / 100
		for k := 0; k < seconds*learners; k += perTick {
			<-tick.C
			for j := k; j < k+perTick; j++ {
				select {
				case jobs <- j:
				default: // the server is behind: the answer is not sent
				}
			}
		}
		tick.Stop()
		close(jobs)
		wg.Wait()
		wall := time.Since(start)
		cpu := processCPU(b) - before
		cancel()
		readers.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%d answers failed", failed.Load())
		}
		p := loadPhase{cpu: time.Duration(float64(cpu) / wall.Seconds()), answers: float64(done.Load()) / wall.Seconds()}
		p.cpuPerAnswer = time.Duration(float64(cpu) / float64(max(done.Load(), 1)))
		if open > 0 {
			p.bytesPerDash = float64(received.Load()) / float64(open) / wall.Seconds()
			p.tablesPerDash = float64(tables.Load()) / float64(open) / wall.Seconds()
		}
		return p
	}

	var anchor, dash loadPhase
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			p0, p10 := phase(0), phase(dashboards)
			b.Logf("round %d: no dashboard: %v CPU/s, %.0f answers/s, %v CPU per answer; %d dashboards: %v CPU/s, %.0f answers/s, %v CPU per answer, %.0f bytes/s and %.2f whole pages/s to each",
				r+1, p0.cpu.Round(time.Millisecond), p0.answers, p0.cpuPerAnswer.Round(time.Microsecond),
				dashboards, p10.cpu.Round(time.Millisecond), p10.answers, p10.cpuPerAnswer.Round(time.Microsecond), p10.bytesPerDash, p10.tablesPerDash)
			anchor, dash = anchor.add(p0), dash.add(p10)
		}
	}
	n := float64(rounds * b.N)
	b.ReportMetric(float64(anchor.cpu.Milliseconds())/n, "anchor-cpu-ms/s")
	b.ReportMetric(float64(dash.cpu.Milliseconds())/n, "10dash-cpu-ms/s")
	b.ReportMetric(anchor.answers/n, "anchor-answers/s")
	b.ReportMetric(dash.answers/n, "10dash-answers/s")
	b.ReportMetric(float64(anchor.cpuPerAnswer.Microseconds())/n, "anchor-cpu-us/answer")
	b.ReportMetric(float64(dash.cpuPerAnswer.Microseconds())/n, "10dash-cpu-us/answer")
	b.ReportMetric(float64(dash.cpuPerAnswer)/float64(anchor.cpuPerAnswer), "10dash/anchor-per-answer")
	b.ReportMetric(dash.bytesPerDash/n, "bytes/s/dashboard")
	b.ReportMetric(dash.tablesPerDash/n, "pages/s/dashboard")
}

// loadPhase is what one phase of the class at work measured.
type loadPhase struct {
	cpu           time.Duration // process CPU per second
	answers       float64       // answers per second
	cpuPerAnswer  time.Duration
	bytesPerDash  float64 // bytes per second to each dashboard
	tablesPerDash float64 // whole pages per second to each dashboard
}

func (p loadPhase) add(q loadPhase) loadPhase {
	return loadPhase{p.cpu + q.cpu, p.answers + q.answers, p.cpuPerAnswer + q.cpuPerAnswer, p.bytesPerDash + q.bytesPerDash, p.tablesPerDash + q.tablesPerDash}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// envInt reads a whole number from the environment, def when unset.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a whole number above 0", name, v)
	}
	return n
}
