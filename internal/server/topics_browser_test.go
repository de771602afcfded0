package server

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// TestBrowserTopicTreeUpdatesLiveAndClearsRetained opens the Topics tab:
// a retained topic shows in the tree, a live publish updates it without
// fetching the tree again, and clearing the retained message from the tree
// says what it did and unmarks the topic.
func TestBrowserTopicTreeUpdatesLiveAndClearsRetained(t *testing.T) {
	ts := startServer(t, exerciseCourse("lab: true\n"), false)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "lamp", CleanStart: true})
	c.Pub(t, "home/lamp/state", `{"on": true}`, 1, true)
	c.Pub(t, "home/door", "closed", 1, false)

	ctx, errs := openLiveConsole(t, ts.URL+"/courses/tl/one")
	doJS(t, ctx, sprintf(jsTab, "topics"))
	const state = `document.querySelector('.lab-topic-node[data-topic="home/lamp/state"]')`
	waitJS(t, ctx, "the retained topic in the tree", state+`?.classList.contains('retained')`)
	waitJS(t, ctx, "its parents", `document.querySelector('.lab-topic-node[data-topic="home"] .lab-topic-node[data-topic="home/lamp"]')`)

	c.Pub(t, "home/lamp/state", `{"on": false}`, 1, false)
	waitJS(t, ctx, "the live publish counted", state+`.querySelector('.lab-topic-meta').textContent.includes('2 msgs')`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType('resource').filter(e => e.name.endsWith('/api/lab/topics')).length`)); n != 1 {
		t.Errorf("the tree was fetched %d times, want once and live updates after", n)
	}

	doJS(t, ctx, state+`.querySelector('.lab-topic-row').click()`)
	waitJS(t, ctx, "the detail", `document.querySelector('[data-topic-payload]').textContent.includes('"on": false')`)
	shoot := func(name string) {
		if dir := os.Getenv("SCREENSHOT_DIR"); dir != "" {
			for _, v := range []struct {
				scheme string
				width  int
			}{{"light", 1366}, {"dark", 1366}, {"light", 390}, {"dark", 390}} {
				_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v.scheme}}})
				_, _ = chromedp.Run(ctx, chromedp.EmulateViewport(int64(v.width), 900))
				// A narrow screen shows the console as a drawer: open it.
				doJS(t, ctx, `var b=document.querySelector('[data-lab-toggle]'); if (document.getElementById('lab-panel').getBoundingClientRect().width === 0 || getComputedStyle(document.getElementById('lab-panel')).visibility === 'hidden' || b.getAttribute('aria-expanded') === 'false') b.click()`)
				time.Sleep(300 * time.Millisecond) // the drawer slides in
				doJS(t, ctx, `document.getElementById('lab-tab-topics').click(); document.querySelector('[data-topic-detail]').scrollIntoView({block: 'end'})`)
				screenshot(t, ctx, fmt.Sprintf("%s-%s-%d.png", name, v.scheme, v.width))
			}
			_, _ = chromedp.Run(ctx, chromedp.EmulateViewport(1366, 900))
		}
	}
	shoot("topic-tree")

	doJS(t, ctx, `document.querySelector('[data-topic-clear]').click()`)
	waitJS(t, ctx, "what clearing did", `document.querySelector('[data-topic-said]').textContent.includes('dropped the retained message')`)
	waitJS(t, ctx, "the topic unmarked", `!`+state+`.classList.contains('retained') && document.querySelector('[data-topic-clear]').hidden`)
	if _, ok := ts.labs.Lookup(labs.PersonalLearner).Retained("home/lamp/state"); ok {
		t.Error("the broker still holds the retained message")
	}

	// The filter hides what it does not match.
	doJS(t, ctx, `var f=document.querySelector('[data-topics-filter]'); f.value='home/door'; f.dispatchEvent(new Event('input'))`)
	waitJS(t, ctx, "lamp hidden", state+`.hidden && !document.querySelector('.lab-topic-node[data-topic="home/door"]').hidden`)
	if e := errs.all(); len(e) > 0 {
		t.Errorf("page errors: %v", e)
	}
}

// TestBrowserTopicTreeBuildsDeepLevelsWhenAskedFor: below the second
// level the tree starts closed and has no rows yet; opening a level builds
// its rows, the filter finds a topic however deep, and a live publish
// deep down is counted on the closed level above it.
func TestBrowserTopicTreeBuildsDeepLevelsWhenAskedFor(t *testing.T) {
	ts := startServer(t, exerciseCourse("lab: true\n"), false)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "deep", CleanStart: true})
	c.Pub(t, "plant/hall/line1/press/temp", "81", 1, true)

	ctx, errs := openLiveConsole(t, ts.URL+"/courses/tl/one")
	doJS(t, ctx, sprintf(jsTab, "topics"))
	const (
		nodeJS = `document.querySelector('.lab-topic-node[data-topic="%s"]')`
		line1  = `plant/hall/line1`
		deep   = `plant/hall/line1/press/temp`
	)
	waitJS(t, ctx, "the third level, closed", sprintf(nodeJS, line1)+`?.querySelector('.lab-topic-row').getAttribute('aria-expanded') === 'false'`)
	waitJS(t, ctx, "its count of topics", sprintf(nodeJS, line1)+`.querySelector('.lab-topic-meta').textContent === '1 topic'`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.lab-topic-node').length`)); n != 3 {
		t.Errorf("%d rows built before anything was opened, want 3 (two levels open, the third closed)", n)
	}

	// Opening builds the next level.
	doJS(t, ctx, sprintf(nodeJS, line1)+`.querySelector('.lab-topic-row').click()`)
	waitJS(t, ctx, "the fourth level after opening", sprintf(nodeJS, line1+"/press")+` && !`+sprintf(nodeJS, line1+"/press")+`.hidden`)
	doJS(t, ctx, sprintf(nodeJS, line1)+`.querySelector('.lab-topic-row').click()`)
	waitJS(t, ctx, "closed again", sprintf(nodeJS, line1)+`.querySelector('.lab-topic-list').hidden`)

	// The filter reaches a topic whose row was never built.
	c.Pub(t, "plant/yard/gate/cam/motion", "1", 1, false)
	waitJS(t, ctx, "a live publish deep down counted", sprintf(nodeJS, "plant/yard/gate")+`?.querySelector('.lab-topic-meta').textContent === '1 topic'`)
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!`+sprintf(nodeJS, "plant/yard/gate/cam/motion"))); !ok {
		t.Error("the row of a topic under a closed level was built")
	}
	doJS(t, ctx, `var f=document.querySelector('[data-topics-filter]'); f.value='+/+/+/cam/#'; f.dispatchEvent(new Event('input'))`)
	waitJS(t, ctx, "the deep topic found by the filter", `(function(){var n=`+sprintf(nodeJS, "plant/yard/gate/cam/motion")+`; return n && n.getBoundingClientRect().height > 0})()`)
	waitJS(t, ctx, "the other branch hidden", sprintf(nodeJS, "plant/hall")+`.hidden`)
	doJS(t, ctx, sprintf(nodeJS, "plant/yard/gate/cam/motion")+`.querySelector('.lab-topic-row').click()`)
	waitJS(t, ctx, "its detail", `document.querySelector('[data-topic-name]').textContent === 'plant/yard/gate/cam/motion'`)

	// A live publish under the filter shows at once if it matches.
	c.Pub(t, "plant/hall/line2/cam/motion", "0", 1, false)
	waitJS(t, ctx, "a live match revealed", `(function(){var n=`+sprintf(nodeJS, "plant/hall/line2/cam/motion")+`; return n && n.getBoundingClientRect().height > 0})()`)
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](sprintf(nodeJS, deep)+` === null || `+sprintf(nodeJS, deep)+`.getBoundingClientRect().height === 0`)); !ok {
		t.Error("a topic the filter does not match shows")
	}

	// Clearing the filter goes back to the levels as they were.
	doJS(t, ctx, `var f=document.querySelector('[data-topics-filter]'); f.value=''; f.dispatchEvent(new Event('input'))`)
	waitJS(t, ctx, "the filter cleared", `!`+sprintf(nodeJS, "plant/hall")+`.hidden && `+sprintf(nodeJS, line1)+`.querySelector('.lab-topic-list').hidden`)
	if e := errs.all(); len(e) > 0 {
		t.Errorf("page errors: %v", e)
	}
}
