package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

// loadHTTP sends b.N GET requests to url from `workers` keep-alive clients on
// loopback and reports requests/s and the p50/p99 latency.
func loadHTTP(b *testing.B, url string, workers int) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	fetch := func() time.Duration {
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			b.Error(err)
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	for i := 0; i < workers*4; i++ { // warm the connections
		fetch()
	}
	lat := make([]time.Duration, b.N)
	var next int64 = -1
	var mu sync.Mutex
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		next++
		return int(next)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i < b.N; i = take() {
				lat[i] = fetch()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkSectionPage serves a section of the bundled MQTT course, rendered
// once at load, through the whole handler stack (routing, logging, template).
func BenchmarkSectionPage(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(workersName(workers), func(b *testing.B) {
			ts := bundledServerB(b)
			loadHTTP(b, ts.URL+"/courses/mqtt_course/hands-on-task-mqtt-application", workers)
		})
	}
}

// BenchmarkStaticFileSameHTML is the yardstick: net/http's file server
// sending the same page as a file.
func BenchmarkStaticFileSameHTML(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(workersName(workers), func(b *testing.B) {
			ts := bundledServerB(b)
			resp, err := http.Get(ts.URL + "/courses/mqtt_course/hands-on-task-mqtt-application")
			if err != nil {
				b.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "page.html"), page, 0o644); err != nil {
				b.Fatal(err)
			}
			fileSrv := httptest.NewServer(http.FileServer(http.Dir(dir)))
			defer fileSrv.Close()
			loadHTTP(b, fileSrv.URL+"/page.html", workers)
		})
	}
}

func workersName(n int) string {
	if n == 1 {
		return "1-client"
	}
	return string(rune('0'+n)) + "-clients"
}

// BenchmarkCloudValuePost is the server's own work for the course's REST
// line, POST /api/v2/devices/ESPDEVICE/sensors/TC/value with a learner's
// bearer token, through the whole handler (middleware, request log, token,
// sandbox, body, cloud, publish, journal), in process: no network, no
// subscriber. Its allocations per post are exact, where `courselab bench
// --mode rest` is at the mercy of the machine's load.
func BenchmarkCloudValuePost(b *testing.B) {
	dir := b.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "courselab.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := labs.New(labs.Config{Classroom: true, Secret: []byte("bench-secret"), Logger: logger,
		Limits: labs.Limits{PublishRate: 1e9, PublishBurst: 1e9}})
	defer l.Close()
	cat := content.Load(labCourse("ESPDEVICE"), content.Options{})
	srv, err := New(config.Config{Classroom: true, Data: dir, Secret: "bench-secret", InstructorToken: testInstructorToken},
		StaticCatalog{C: cat}, l, st, logger)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.stopListen()
	h := srv.Handler()
	auth := "Bearer " + l.Credentials("bench-learner").Token
	post := func() {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/devices/ESPDEVICE/sensors/TC/value", strings.NewReader(`{"value": 25}`))
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
	post() // the sandbox is made by the first call
	b.ReportAllocs()
	for b.Loop() {
		post()
	}
}
