package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/browsertest"
)

// longLabCourse is a lab course of 15 short sections, for clicking Next
// through a whole course quickly.
func longLabCourse() fstest.MapFS {
	var b strings.Builder
	b.WriteString("---\nid: long\ntitle: A long lab course\nlab:\n  devices:\n    - id: DEV\n      sensors:\n        - {id: TC, kind: temperature, value: 20}\n---\n")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&b, "\n# Part %d\n\nSome text for part %d.\n", i, i)
	}
	return fstest.MapFS{"long/index.md": {Data: []byte(b.String())}}
}

// TestBrowserTenLabTabsAllLoadAndShareTheLiveLog opens ten lab pages in
// tabs of one browser, as a learner keeping sections open does. A browser
// allows six HTTP/1.1 connections per host: if every tab held its own event
// stream, the seventh would never load. Every tab must load, show the
// console live, and see a new journal line.
func TestBrowserTenLabTabsAllLoadAndShareTheLiveLog(t *testing.T) {
	ts := startServer(t, longLabCourse(), false)
	browser := browsertest.New(t, 1366, 900)
	var tabs []context.Context
	for i := 1; i <= 10; i++ {
		tab := newTab(t, browser)
		start := time.Now()
		browsertest.Step(t, tab, 10*time.Second,
			chromedp.Navigate(fmt.Sprintf("%s/courses/long/part-%d", ts.URL, i)),
			chromedp.WaitVisible(chromedp.CSS(".prose h1")),
		)
		t.Logf("tab %d loaded in %v", i, time.Since(start).Round(time.Millisecond))
		tabs = append(tabs, tab)
	}
	for i, tab := range tabs {
		waitJS(t, tab, fmt.Sprintf("tab %d live", i+1), `document.querySelector('[data-lab-status]').textContent === 'live'`)
	}
	// One value pushed through the cloud API shows in every tab's log.
	res, err := http.Post(ts.URL+"/api/v2/devices/DEV/sensors/TC/value", "application/json", strings.NewReader(`{"value": 31}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for i, tab := range tabs {
		waitJS(t, tab, fmt.Sprintf("the pushed value in tab %d", i+1), `[...document.querySelectorAll('.lab-line')].some(l => l.textContent.includes('31'))`)
	}
}

// TestBrowserQuickNextClicksEachLoadFast clicks Next through fifteen lab
// sections, one click as soon as a page shows. Pages left behind (and kept
// in the back/forward cache) must not keep their event streams: each page
// loads in under a second.
func TestBrowserQuickNextClicksEachLoadFast(t *testing.T) {
	ts := startServer(t, longLabCourse(), false)
	ctx := browsertest.New(t, 1366, 900)
	browsertest.Step(t, ctx, 10*time.Second, chromedp.Navigate(ts.URL+"/courses/long/part-1"), chromedp.WaitVisible(chromedp.CSS(".prose h1")))
	waitJS(t, ctx, "the console live", `document.querySelector('[data-lab-status]').textContent === 'live'`)
	var took []time.Duration
	for i := 2; i <= 15; i++ {
		start := time.Now()
		browsertest.Step(t, ctx, 10*time.Second,
			chromedp.Click(chromedp.CSS("a.next"), chromedp.NodeVisible),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.prose[data-section="part-%d"]`, i))),
		)
		took = append(took, time.Since(start))
	}
	// A page stuck behind streams waits for a connection for many seconds.
	// Under 1 s is the target on an idle machine; on a busy one (CI on two
	// shared cores) a load may take longer, so a load fails when it is over
	// 1 s and also well beyond this run's typical load.
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	median, slowest := sorted[len(sorted)/2], sorted[len(sorted)-1]
	t.Logf("14 Next clicks: median %v, slowest %v", median.Round(time.Millisecond), slowest.Round(time.Millisecond))
	for i, d := range took {
		if d > time.Second && d > 3*median {
			t.Errorf("part %d took %v to load after Next (median %v), want under 1 s", i+2, d.Round(time.Millisecond), median.Round(time.Millisecond))
		}
	}
	waitJS(t, ctx, "the last page's console live", `document.querySelector('[data-lab-status]').textContent === 'live'`)
}

// TestBrowserTenTeachTabsAllLoad opens the instructor dashboard in ten tabs:
// each must load and follow the class live.
func TestBrowserTenTeachTabsAllLoad(t *testing.T) {
	ts := startServer(t, courses.FS, true)
	browser := browsertest.New(t, 1366, 900)
	browsertest.Step(t, browser, 10*time.Second, chromedp.Navigate(ts.URL+"/teach?token="+testInstructorToken), chromedp.WaitVisible(chromedp.CSS("#class-table")))
	for i := 1; i <= 10; i++ {
		tab := newTab(t, browser)
		browsertest.Step(t, tab, 10*time.Second,
			chromedp.Navigate(ts.URL+"/teach"),
			chromedp.WaitVisible(chromedp.CSS("#class-table")),
		)
		waitJS(t, tab, fmt.Sprintf("teach tab %d live", i), `!document.querySelector('[data-live]').hidden`)
	}
}

// newTab opens a tab in the browser of ctx. Its first action must not run
// under a timeout, which would close the tab with it.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	return tab
}
