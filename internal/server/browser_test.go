package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

// bundledServer serves the embedded catalog, as `go run ./cmd/courselab` does.
func bundledServer(t *testing.T) *httptest.Server { return bundledServerB(t) }

func bundledServerB(t testing.TB) *httptest.Server {
	t.Helper()
	return startServer(t, courses.FS, false).Server
}

// saveShot saves a screenshot of the page in ctx (the whole page if full)
// to $SCREENSHOT_DIR, to look at. Without it nothing is captured: the
// tests assert on the page, not on its picture, and on a busy machine each
// capture costs up to seconds.
func saveShot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var png []byte
	var err error
	if full {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	} else {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// consoleErrors collects console.error calls and uncaught exceptions of the
// page's own frame.
// openLiveConsole opens url (a page with the lab console) in a fresh
// 1366 px browser, recording the page's errors, and waits until the
// console's live log is connected.
func openLiveConsole(t *testing.T, url string) (context.Context, *consoleErrors) {
	t.Helper()
	ctx := browsertest.New(t, 1366, 900)
	errs := &consoleErrors{}
	if err := chromedp.Listen(ctx, errs.listen); err != nil {
		t.Fatal(err)
	}
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#lab-panel")))
	waitJS(t, ctx, "the live log", `document.querySelector('[data-lab-status]').textContent === 'live'`)
	return ctx, errs
}

type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleErrors) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == "error" || ev.Type == "assert" {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			c.msgs = append(c.msgs, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		c.msgs = append(c.msgs, "exception: "+ev.ExceptionDetails.Text+" "+fmt.Sprint(ev.ExceptionDetails.Exception))
	}
}

func (c *consoleErrors) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

func TestBrowserShowsTheIntroductionWithItsVideoAndNoConsoleErrors(t *testing.T) {
	ts := bundledServer(t)
	ctx := browsertest.New(t, 1366, 900)
	var errs consoleErrors
	if err := chromedp.Listen(ctx, errs.listen); err != nil {
		t.Fatal(err)
	}

	// The video waits behind a play button (offline it says so, instead of
	// a blank frame); a click loads the player.
	browsertest.Step(t, ctx, 30*time.Second,
		chromedp.Navigate(ts.URL+"/courses/mqtt_course/introduction"),
		chromedp.WaitVisible(chromedp.CSS(".video .video-play-button")),
	)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.video iframe').length`)); n != 0 {
		t.Errorf("%d video players load before the learner asks", n)
	}
	saveShot(t, ctx, "introduction-video-1366.png", false)
	browsertest.Step(t, ctx, 30*time.Second,
		chromedp.Click(chromedp.CSS(".video .video-play-button")),
		chromedp.WaitVisible(chromedp.CSS(".video iframe")),
	)
	src, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(".video iframe"), "src"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.Value, "https://www.youtube-nocookie.com/embed/ozqQEhM5IPo") {
		t.Errorf("video iframe src = %q, want the privacy-enhanced player for ozqQEhM5IPo", src.Value)
	}
	sidebar, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".sidebar")))
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Introduction", "HTTP vs MQTT", "Architecture", "Topics", "Other features", "Hands on task", "Exercise"} {
		if !strings.Contains(sidebar, title) {
			t.Errorf("sidebar lacks %q: %q", title, sidebar)
		}
	}
	saveShot(t, ctx, "introduction-1366.png", true)
	if e := errs.all(); len(e) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(e, "\n"))
	}
}

func TestBrowserShowsEveryDiagramAndCodeWithCopyButtons(t *testing.T) {
	ts := bundledServer(t)
	ctx := browsertest.New(t, 1366, 900)
	var errs consoleErrors
	if err := chromedp.Listen(ctx, errs.listen); err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"http-vs-mqtt", "architecture", "topics", "hands-on-task-mqtt-application"} {
		browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/mqtt_course/"+slug))
		// Images are lazy: scroll each into view, then ask whether it decoded.
		broken, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(async () => {
			const imgs = [...document.querySelectorAll('.prose img')];
			for (const img of imgs) { img.loading = 'eager'; img.scrollIntoView(); try { await img.decode(); } catch (e) {} }
			return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if len(broken) > 0 {
			t.Errorf("%s: images that did not load: %v", slug, broken)
		}
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.querySelectorAll('.prose pre').length, document.querySelectorAll('.prose .code > .copy, .prose pre > .copy').length, document.querySelectorAll('.prose pre .chroma, .prose pre.chroma, .prose .chroma').length]`))
	if err != nil {
		t.Fatal(err)
	}
	if counts[0] < 4 || counts[1] != counts[0] || counts[2] == 0 {
		t.Errorf("hands-on: %d code blocks, %d copy buttons, %d highlighted; want every block highlighted with a copy button", counts[0], counts[1], counts[2])
	}
	if e := errs.all(); len(e) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(e, "\n"))
	}
}

func TestBrowserFitsAPhoneScreen(t *testing.T) {
	full := startServer(t, courses.FS, false)
	ts := full.Server
	// A check's summary with a long topic, as the progress page lists it.
	long := "Your client subscribed to devices/ESPDEVICE/sensors/TC/value/and/a/much/longer/topic/than/fits/a/phone"
	if err := full.store.RecordCheck(context.Background(), labs.PersonalLearner, "mqtt_course", "qos-levels", store.ExerciseResult{Summary: long}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, 390, 844)
	// A headless window cannot be narrower than 500 px: emulate the phone.
	browsertest.Step(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []string{"/", "/courses/mqtt_course", "/courses/mqtt_course/hands-on-task-mqtt-application", "/progress", "/courses/mqtt_course/topics"} {
		browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+p))
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow > 0 {
			t.Errorf("%s is %d px wider than a 390 px phone screen", p, overflow)
		}
		// Every date stays inside its row.
		out, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('.outline time')].filter(e => e.getBoundingClientRect().right > e.closest('a').getBoundingClientRect().right + 0.5).length`))
		if err != nil {
			t.Fatal(err)
		}
		if out > 0 {
			t.Errorf("%s: %d dates pushed out of their row", p, out)
		}
	}
	saveShot(t, ctx, "topics-390.png", true)
}

func TestBrowserFollowsTheSystemDarkMode(t *testing.T) {
	ts := bundledServer(t)
	ctx := browsertest.New(t, 1366, 900)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/mqtt_course/hands-on-task-mqtt-application"))
	// The page background and the code blocks both turn dark; text stays light.
	lum, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const l = el => { const m = getComputedStyle(el).backgroundColor.match(/\d+/g).map(Number); return (0.2126*m[0] + 0.7152*m[1] + 0.0722*m[2]) / 255; };
		const fg = getComputedStyle(document.body).color.match(/\d+/g).map(Number);
		return [l(document.body), l(document.querySelector('.prose pre')), (0.2126*fg[0] + 0.7152*fg[1] + 0.0722*fg[2]) / 255];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if lum[0] > 0.2 || lum[1] > 0.2 || lum[2] < 0.7 {
		t.Errorf("dark mode: page luminance %.2f, code %.2f, text %.2f; want dark backgrounds and light text", lum[0], lum[1], lum[2])
	}
	saveShot(t, ctx, "hands-on-dark-1366.png", false)
}
