package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// sensorTopic is one of 1,000 topics, five levels deep: 20 devices of 50
// sensors each.
func sensorTopic(i int) string {
	return fmt.Sprintf("devices/D%02d/sensors/S%02d/value", i%1000/50, i%50)
}

// fillSandboxWithTopics publishes, as a real MQTT client, on 1,000
// topics until the sandbox's journal is full to its byte budget: the size
// the Topics tab must open quickly at. The sandbox's limits hold: 900 of
// the topics keep a retained value (the broker's own $SYS topics take some
// of the 1,000 retained messages allowed), the last publishes cover the
// other 100, and the client stays under the publish rate.
func fillSandboxWithTopics(t testing.TB, ts *testServer) {
	t.Helper()
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "sensors", CleanStart: true})
	payload := `{"value": 21.5, "unit": "°C", "battery": 87, "firmware": "1.4.2", "note": "` + strings.Repeat("x", 60) + `"}`
	pace := time.NewTicker(time.Second / time.Duration(labs.DefaultLimits().PublishRate*0.8))
	defer pace.Stop()
	pub := func(i int, retain bool) {
		<-pace.C
		c.Pub(t, sensorTopic(i), payload, 1, retain)
	}
	for i := range 900 {
		pub(i, true)
	}
	sb := ts.labs.Lookup(labs.PersonalLearner)
	// Full: at nine tenths of its byte budget (publishes of one size fill
	// it in steps), with a bound on the publishes in case it fills slower.
	for i := 0; i < 5000 && sb.Journal().Bytes() < labs.JournalBytes*9/10; i++ {
		pub(i%900, false)
	}
	for i := 900; i < 1000; i++ {
		pub(i, false)
	}
	t.Logf("the journal holds %d bytes (budget %d), the newest event is number %d", sb.Journal().Bytes(), labs.JournalBytes, sb.Journal().LastSeq())
}

// jsOpenTopicsTab clicks the Topics tab and resolves with the milliseconds
// until the tree is on screen: its first rows laid out, and the frame
// after them painted.
const jsOpenTopicsTab = `new Promise(function (done) {
  var t0 = performance.now();
  document.getElementById('lab-tab-topics').click();
  (function shown() {
    var row = document.querySelector('[data-topics] .lab-topic-row');
    if (!row || row.getBoundingClientRect().height === 0) { requestAnimationFrame(shown); return; }
    requestAnimationFrame(function () { setTimeout(function () { done(performance.now() - t0); }, 0); });
  })();
})`

// jsTreeFetched is the /api/lab/topics response as the browser got it.
const jsTreeFetched = `(function () {
  var e = performance.getEntriesByType('resource').filter(function (e) { return e.name.endsWith('/api/lab/topics'); })[0];
  return e ? {ms: e.duration, bytes: e.decodedBodySize} : null;
})()`

// BenchmarkBrowserTopicsTab times, in headless Chromium, the Topics tab of
// a console whose sandbox holds 1,000 topics and a journal full to its
// byte budget: from the click on the tab to the tree on screen (target:
// under 200 ms), with the size and fetch time of /api/lab/topics beside.
// Each iteration loads the page afresh.
//
//	go test -run '^$' -bench BrowserTopicsTab -benchtime 10x ./internal/server
func BenchmarkBrowserTopicsTab(b *testing.B) {
	ts := startServer(b, exerciseCourse("lab: true\n"), false)
	fillSandboxWithTopics(b, ts)
	ctx := browsertest.New(b, 1366, 900)
	var open, fetch time.Duration
	var worst time.Duration
	var size int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		browsertest.Step(b, ctx, 60*time.Second, chromedp.Navigate(ts.URL+"/courses/tl/one"), chromedp.WaitVisible(chromedp.CSS("#lab-panel")))
		// Start on another tab (the console remembers the last one), with
		// the tree fetched and the journal's replay applied.
		waitJS(b, ctx, "the live log", `document.querySelector('[data-lab-status]').textContent === 'live'`)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('lab-tab-log').click(); true`)); err != nil {
			b.Fatal(err)
		}
		waitJS(b, ctx, "the tree fetched", `document.querySelector('[data-topics-empty]').hidden`)
		time.Sleep(500 * time.Millisecond)
		b.StartTimer()
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](jsOpenTopicsTab, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d := time.Duration(ms * float64(time.Millisecond))
		open += d
		worst = max(worst, d)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			MS    float64 `json:"ms"`
			Bytes int     `json:"bytes"`
		}](jsTreeFetched))
		if err != nil {
			b.Fatal(err)
		}
		fetch += time.Duration(got.MS * float64(time.Millisecond))
		size = got.Bytes
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('lab-tab-log').click(); true`)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(open.Microseconds())/float64(b.N)/1000, "open-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-open-ms")
	b.ReportMetric(float64(fetch.Microseconds())/float64(b.N)/1000, "fetch-ms")
	b.ReportMetric(float64(size), "tree-bytes")
}
