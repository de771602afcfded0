package server

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/labs/labtest"
)

// TestBrowserAFailedCheckShowsItsTimeline presses Check with a QoS 0
// subscription where QoS 1 is asked: the page shows the packets behind the
// verdict, the failing point marked. With SCREENSHOT_DIR set it also takes
// the screenshots of the timeline in light and dark, wide and narrow.
func TestBrowserAFailedCheckShowsItsTimeline(t *testing.T) {
	ts := startServer(t, timelineCourse(), false)
	c := labtest.MustDial(t, ts.mqtt, &paho.Connect{ClientID: "sensor-reader", CleanStart: true})
	c.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)

	type view struct {
		scheme string
		width  int
	}
	views := []view{{"light", 1366}}
	if os.Getenv("SCREENSHOT_DIR") != "" {
		views = append(views, view{"dark", 1366}, view{"light", 390}, view{"dark", 390})
	}
	for _, v := range views {
		ctx := browsertest.New(t, v.width, 900)
		var errs consoleErrors
		if err := chromedp.Listen(ctx, errs.listen); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v.scheme}},
		}); err != nil {
			t.Fatal(err)
		}
		browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/tl/one"), chromedp.WaitVisible(chromedp.CSS("form.exercise-check button")))
		doJS(t, ctx, `document.querySelector('form.exercise-check button').click()`)
		waitJS(t, ctx, "the failed check's timeline", `document.querySelector('form.exercise-check .check-timeline li.tl-wrong')`)
		waitJS(t, ctx, "the SUBSCRIBE in the timeline", `[...document.querySelectorAll('.check-timeline li.tl-subscribe')].some(l => l.textContent.includes('sensor-reader') && l.textContent.includes('granted 0'))`)
		waitJS(t, ctx, "the failing point last", `document.querySelector('.check-timeline li:last-child').classList.contains('tl-wrong')`)
		if w, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); w {
			t.Errorf("%s %d px: the timeline makes the page scroll sideways", v.scheme, v.width)
		}
		if os.Getenv("SCREENSHOT_DIR") != "" {
			doJS(t, ctx, `document.querySelector('.check-timeline').scrollIntoView({block: 'center'})`)
			screenshot(t, ctx, fmt.Sprintf("check-timeline-%s-%d.png", v.scheme, v.width))
		}
		if e := errs.all(); len(e) > 0 {
			t.Errorf("page errors: %v", e)
		}
	}
}
