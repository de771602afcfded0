package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// TestBrowserConsoleSitsBesideTheTaskFrom900px: between 900 and 1199 px
// the console was a drawer over the exercise. Now the task and the console
// share the screen, and the divider between them moves with the keyboard.
func TestBrowserConsoleSitsBesideTheTaskFrom900px(t *testing.T) {
	ts := bundledServer(t)
	ctx := browsertest.New(t, 1366, 900)
	for _, width := range []int64{900, 1024, 1199} {
		browsertest.Step(t, ctx, 10*time.Second, chromedp.EmulateViewport(width, 800))
		browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+handsOn), chromedp.WaitVisible(chromedp.CSS("#lab-panel")))
		geo, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const p = document.querySelector('.prose').getBoundingClientRect(), l = document.getElementById('lab-panel').getBoundingClientRect();
			return [p.left, p.right, l.left, l.right, document.body.classList.contains('lab-drawer-open') ? 1 : 0, document.documentElement.scrollWidth - innerWidth];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if geo[1] > geo[2] || geo[1]-geo[0] < 400 || geo[4] == 1 || geo[5] > 0 {
			t.Errorf("at %d px: text %.0f–%.0f, console %.0f–%.0f, drawer %v, overflow %.0f px; want the text at least 400 px wide left of the console, no drawer",
				width, geo[0], geo[1], geo[2], geo[3], geo[4] == 1, geo[5])
		}
		screenshot(t, ctx, fmt.Sprintf("lab-split-%d.png", width))
	}
	// The divider: a separator that the arrow keys move, 24 px a press.
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('lab-panel').getBoundingClientRect().width`))
	doJS(t, ctx, `const d = document.querySelector('[data-lab-divider]'); d.focus(); d.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}))`)
	after, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('lab-panel').getBoundingClientRect().width`))
	if after-before < 20 {
		t.Errorf("ArrowLeft on the divider: console %.0f → %.0f px, want 24 px wider", before, after)
	}
	now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-lab-divider]').getAttribute('aria-valuenow')`))
	if now != fmt.Sprint(int(after+0.5)) {
		t.Errorf("divider aria-valuenow %s, console %.0f px", now, after)
	}
	// The width stays for the next page.
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/mqtt_course/topics"), chromedp.WaitVisible(chromedp.CSS("#lab-panel")))
	kept, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('lab-panel').getBoundingClientRect().width`))
	if kept != after {
		t.Errorf("the console is %.0f px on the next page, want the %.0f px chosen", kept, after)
	}
}
