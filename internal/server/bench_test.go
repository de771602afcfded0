package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
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
