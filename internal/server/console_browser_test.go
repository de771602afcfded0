package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// handsOn is the bundled course's section with the lab to do.
const handsOn = "/courses/mqtt_course/hands-on-task-mqtt-application"

// waitJS waits until a page expression is truthy. It asks from Go rather
// than polling in the page: a tab in the background gets no animation
// frames and slow timers.
func waitJS(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not true after 15 s (last error: %v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// doJS runs statements in the page.
func doJS(t testing.TB, ctx context.Context, stmts string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(function(){"+stmts+";return true})()")); err != nil {
		t.Fatalf("%s: %v", stmts, err)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveShot(t, ctx, name, false)
}

// Page snippets the test uses to act as the student.
const (
	jsTab        = `document.getElementById('lab-tab-%s').click()`
	jsCard       = `document.querySelectorAll('.lab-client')[%d]`
	jsOpenClient = `var f=document.querySelector('[data-form=open]'); f.client_id.value=%q; f['will.topic'].value=%q; f['will.payload'].value=%q; f.querySelector('button[type=submit]').click()`
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestBrowserStudentDoesTheLabFromTheConsole(t *testing.T) {
	ts := bundledServer(t)
	ctx, errs := openLiveConsole(t, ts.URL+handsOn)
	waitJS(t, ctx, "connection details", `document.querySelectorAll('[data-details] .lab-detail').length >= 3`)
	if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.round(document.querySelector('.prose').getBoundingClientRect().width)`)); w < 600 || w > 760 {
		t.Errorf("reading column is %d px wide beside the panel, want 600–760", w)
	}

	// A first client subscribes to the temperature.
	doJS(t, ctx, sprintf(jsTab, "clients"))
	doJS(t, ctx, sprintf(jsOpenClient, "web-1", "", ""))
	waitJS(t, ctx, "web-1 connected", sprintf(jsCard, 0)+`?.classList.contains('st-connected')`)
	doJS(t, ctx, `var c=`+sprintf(jsCard, 0)+`, f=c.querySelector('[data-form=subscribe]'); f.filter.value='devices/ESPDEVICE/sensors/TC/value'; f.querySelector('button[type=submit]').click()`)
	waitJS(t, ctx, "the subscription", sprintf(jsCard, 0)+`.querySelector('.lab-subs li')`)

	// Push 25 with the form.
	doJS(t, ctx, sprintf(jsTab, "device"))
	waitJS(t, ctx, "the device's points", `document.querySelector('[data-form=push] [name=point]').options.length > 0`)
	doJS(t, ctx, `var f=document.querySelector('[data-form=push]'); f.point.value='sensors/TC'; f.value.value='25'; f.value.dispatchEvent(new Event('input')); f.querySelector('button[type=submit]').click()`)
	waitJS(t, ctx, "the push confirmed", `document.querySelector('[data-form=push] [data-ok]').textContent.includes('25')`)
	curl, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-push-curl]').textContent`))
	if !strings.Contains(curl, ts.URL+"/api/v2/devices/ESPDEVICE/sensors/TC/value") || !strings.Contains(curl, `{"value":25}`) {
		t.Errorf("curl line = %q, want a POST of {\"value\":25} to this server's TC value", curl)
	}

	// 25 arrives in the client and in the log.
	doJS(t, ctx, sprintf(jsTab, "clients"))
	waitJS(t, ctx, "25 in web-1", sprintf(jsCard, 0)+`.querySelector('.lab-msg .lab-payload').textContent.includes('"value": 25')`)
	doJS(t, ctx, sprintf(jsTab, "log"))
	waitJS(t, ctx, "25 delivered in the log", `[...document.querySelectorAll('.lab-line.k-deliver')].some(l => l.textContent.includes('web-1') && l.textContent.includes('"value": 25'))`)
	// Delivered at QoS 1: the client's PUBACK shows on the delivery's own line
	// (a "revised" event), not as a line of its own.
	waitJS(t, ctx, "the PUBACK on the delivery's line", `[...document.querySelectorAll('.lab-line.k-deliver')].some(l => l.textContent.includes('"value": 25') && l.querySelector('.lab-tag.ack.ended')?.textContent.includes('PUBACK'))`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.lab-line.k-ack').length`)); n != 0 {
		t.Errorf("%d ack lines in the log, want the acknowledgements on their messages' lines", n)
	}

	// A second client listens to the whole device.
	doJS(t, ctx, sprintf(jsTab, "clients"))
	doJS(t, ctx, sprintf(jsOpenClient, "web-2", "", ""))
	waitJS(t, ctx, "web-2 connected", sprintf(jsCard, 1)+`?.classList.contains('st-connected')`)
	doJS(t, ctx, `var c=`+sprintf(jsCard, 1)+`, f=c.querySelector('[data-form=subscribe]'); f.filter.value='devices/ESPDEVICE/#'; f.querySelector('button[type=submit]').click()`)
	waitJS(t, ctx, "web-2's subscription", sprintf(jsCard, 1)+`.querySelector('.lab-subs li')`)

	if hasExercise(t, ts.URL, "all-device-values") {
		doJS(t, ctx, sprintf(jsTab, "checks"))
		doJS(t, ctx, `document.querySelector('.lab-check[data-exercise="all-device-values"] button').click()`)
		waitJS(t, ctx, "all-device-values passed", `document.querySelector('.lab-check[data-exercise="all-device-values"]').classList.contains('passed')`)
		doJS(t, ctx, sprintf(jsTab, "clients"))
	} else {
		t.Log("the bundled course has no all-device-values exercise yet: Check step skipped")
	}

	// A third client with a will is dropped; web-2 hears the will.
	doJS(t, ctx, sprintf(jsOpenClient, "web-3", "devices/ESPDEVICE/status", "offline"))
	waitJS(t, ctx, "web-3 connected", sprintf(jsCard, 2)+`?.classList.contains('st-connected')`)
	doJS(t, ctx, sprintf(jsCard, 2)+`.querySelector('[data-act=drop]').click()`)
	waitJS(t, ctx, "web-3 dropped", sprintf(jsCard, 2)+`.classList.contains('st-dropped')`)
	waitJS(t, ctx, "the will in web-2", `[...`+sprintf(jsCard, 1)+`.querySelectorAll('.lab-msg')].some(m => m.textContent.includes('devices/ESPDEVICE/status') && m.textContent.includes('offline'))`)
	doJS(t, ctx, `window.scrollTo(0, 0)`)
	screenshot(t, ctx, "lab-console-1366.png")
	doJS(t, ctx, sprintf(jsTab, "log"))
	waitJS(t, ctx, "the will in the log", `document.querySelector('.lab-line.k-will')`)
	// A line of a kind the console does not know yet (a notice from the
	// platform, say) still shows, with its message.
	doJS(t, ctx, `courselabLab.addLog({seq: 1e9, kind: 'lab-reset', source: 'platform', time: new Date().toISOString(), detail: {message: 'Your instructor reset your lab.'}})`)
	waitJS(t, ctx, "a line of a new kind", `[...document.querySelectorAll('.lab-line.k-lab-reset')].some(l => l.textContent.includes('lab reset') && l.textContent.includes('Your instructor reset your lab.'))`)
	screenshot(t, ctx, "lab-console-log-1366.png")
	doJS(t, ctx, sprintf(jsTab, "connect"))
	screenshot(t, ctx, "lab-console-connect-1366.png")

	// On a phone the text comes first; the toggle opens the console.
	browsertest.Step(t, ctx, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+handsOn), chromedp.WaitVisible(chromedp.CSS("[data-lab-toggle]")))
	if open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('lab-panel').classList.contains('open')`)); open {
		t.Error("on a phone the console opens by itself and hides the text")
	}
	screenshot(t, ctx, "lab-reading-390.png")
	browsertest.Step(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("[data-lab-toggle]")))
	waitJS(t, ctx, "the drawer", `document.getElementById('lab-panel').classList.contains('open')`)
	doJS(t, ctx, sprintf(jsTab, "clients"))
	waitJS(t, ctx, "the clients in the drawer", `document.querySelectorAll('.lab-client').length === 3`)
	if overflow, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); overflow > 0 {
		t.Errorf("the page is %d px wider than the phone", overflow)
	}
	screenshot(t, ctx, "lab-console-390.png")
	doJS(t, ctx, sprintf(jsTab, "log"))
	screenshot(t, ctx, "lab-console-log-390.png")

	if e := errs.all(); len(e) > 0 {
		t.Errorf("console errors on the page:\n%s", strings.Join(e, "\n"))
	}
}

// hasExercise asks the exercise API whether the bundled course has id.
func hasExercise(t *testing.T, base, id string) bool {
	t.Helper()
	res, err := http.Get(base + "/api/courses/mqtt_course/exercises")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Exercises []exerciseItem `json:"exercises"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, e := range body.Exercises {
		if e.ID == id {
			return true
		}
	}
	return false
}
