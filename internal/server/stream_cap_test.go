package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/labs"
)

// TestANewerStreamSupersedesTheOldestPastTheCap opens one stream more than
// a learner may keep: the oldest is told "superseded" and ends.
func TestANewerStreamSupersedesTheOldestPastTheCap(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	var chans []<-chan sseEvent
	for range streamsPerPerson {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		ch := readSSE(t, ctx, ts.URL+"/api/lab/events", "")
		waitEvent(t, ch, "clients")
		chans = append(chans, ch)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	waitEvent(t, readSSE(t, ctx, ts.URL+"/api/lab/events", ""), "clients")
	waitEvent(t, chans[0], "superseded")
	if _, ok := <-chans[0]; ok {
		t.Error("the superseded stream goes on after saying so")
	}
	if n := ts.srv.streams.liveCount("learner:" + labs.PersonalLearner); n != streamsPerPerson {
		t.Errorf("%d live streams, want the cap %d", n, streamsPerPerson)
	}
}

// waitEvent reads ch until an event named name, or fails after 5 s.
func waitEvent(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before a %q event", name)
			}
			if e.event == name {
				return e
			}
		case <-timeout:
			t.Fatalf("no %q event within 5 s", name)
		}
	}
}

// TestTwoThousandStreamsFromOneCookieStayBounded is the hoarder of issue 9:
// one learner with a busy journal opens 2,000 live-log streams, 50 at a
// time. At most streamsPerPerson stay open, the rest are superseded or
// refused with 429 in plain words, the bytes sent stay a small multiple of
// one backlog, the heap does not grow with the count, and a classmate's
// page still loads quickly.
func TestTwoThousandStreamsFromOneCookieStayBounded(t *testing.T) {
	ts := startServer(t, fixture(), true)
	hoarder := join(t, ts, "Hoarder")
	classmate := join(t, ts, "Classmate")
	// Fill the hoarder's journal: every stream starts with this backlog.
	r := postJSON(t, hoarder, ts.URL+"/api/lab/clients", `{"client_id":"filler"}`)
	var opened struct {
		Client struct {
			ID string `json:"id"`
		} `json:"client"`
	}
	if err := json.Unmarshal([]byte(r.body), &opened); err != nil || opened.Client.ID == "" {
		t.Fatalf("open a web client: %d %s", r.status, r.body)
	}
	id := opened.Client.ID
	for i := range 200 {
		postJSON(t, hoarder, ts.URL+"/api/lab/clients/"+id+"/publish", fmt.Sprintf(`{"topic":"fill/%d","payload":"%s"}`, i, strings.Repeat("x", 200)))
	}
	one := streamBytes(t, hoarder, ts.URL+"/api/lab/events", time.Second)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	const total, parallel = 2000, 50
	// Every request is accounted for: opened (200), refused (429), another
	// status, or no answer at all within answerWithin. An opened stream never
	// ends by itself, so the client reads it for keepOpen, then hangs up; a
	// refusal may take a while to come on a busy machine, so the wait for
	// the answer is generous and apart from that.
	const answerWithin, keepOpen = 10 * time.Second, 300 * time.Millisecond
	var sent, ok200, refused, otherStatus, gaveUp atomic.Int64
	var maxLive atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				ctx, cancel := context.WithTimeout(context.Background(), answerWithin)
				req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/lab/events", nil)
				res, err := hoarder.Do(req)
				if err != nil {
					gaveUp.Add(1)
					cancel()
					continue
				}
				switch res.StatusCode {
				case http.StatusOK:
					ok200.Add(1)
					time.AfterFunc(keepOpen, cancel)
				case http.StatusTooManyRequests:
					refused.Add(1)
				default:
					otherStatus.Add(1)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				sent.Add(n)
				res.Body.Close()
				cancel()
				if l := int64(ts.srv.streams.mostLive()); l > maxLive.Load() {
					maxLive.Store(l)
				}
			}
		}()
	}
	start := time.Now()
	var pageTook time.Duration
	for i := range total {
		jobs <- i
		if i == total/2 {
			t0 := time.Now()
			if r := do(t, classmate, "GET", ts.URL+"/courses/hello/first", nil); r.status != http.StatusOK {
				t.Errorf("the classmate's page during the flood: %d", r.status)
			}
			pageTook = time.Since(t0)
		}
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)

	// The bucket refills one stream per streamEvery while the flood lasts,
	// which on a loaded machine is several seconds.
	allowed := int64(streamBurst) + int64(took/streamEvery) + 5
	t.Logf("2000 streams in %v: %d opened (allowed %d), %d refused with 429, %d other statuses, %d unanswered within %v, %d bytes sent (one backlog: %d bytes), most live at once: %d, heap +%d KiB, classmate's page in %v",
		took.Round(time.Millisecond), ok200.Load(), allowed, refused.Load(), otherStatus.Load(), gaveUp.Load(), answerWithin, sent.Load(), one, maxLive.Load(), grew/1024, pageTook.Round(time.Millisecond))
	if ok200.Load() > allowed {
		t.Errorf("%d streams were opened in %v, want at most the burst of %d plus one per %v", ok200.Load(), took, streamBurst, streamEvery)
	}
	if otherStatus.Load() > 0 || gaveUp.Load() > 0 {
		t.Errorf("%d streams got neither 200 nor 429, %d got no answer within %v", otherStatus.Load(), gaveUp.Load(), answerWithin)
	}
	if refused.Load() < total-allowed {
		t.Errorf("only %d of %d streams were refused", refused.Load(), total)
	}
	if maxLive.Load() > streamsPerPerson {
		t.Errorf("%d streams were live at once, want at most %d", maxLive.Load(), streamsPerPerson)
	}
	if limit := allowed*one + 2000*400; sent.Load() > limit {
		t.Errorf("%d bytes sent, want under %d", sent.Load(), limit)
	}
	if grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB", grew>>20)
	}
	if pageTook > 2*time.Second {
		t.Errorf("the classmate's page took %v during the flood", pageTook)
	}
	// The refusal says what to do, in words.
	r = do(t, hoarder, "GET", ts.URL+"/api/lab/events", nil)
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Close some tabs") {
		t.Errorf("past the limit: %d %s", r.status, r.body)
	}
}

// streamBytes reads GET url for d and returns how many bytes came.
func streamBytes(t *testing.T, c *http.Client, url string, d time.Duration) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n, _ := io.Copy(io.Discard, res.Body)
	return n
}

// mostLive is the largest number of live streams any one person holds.
func (c *streamCap) mostLive() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	most := 0
	for _, p := range c.people {
		most = max(most, len(p.live))
	}
	return most
}
