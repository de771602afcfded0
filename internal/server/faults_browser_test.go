package server

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// TestBrowserFaultsTabLosesAPubackAndShowsTheRedelivery: the learner opens
// the Faults tab with the keyboard, types a client id and arms "lose the
// next ack" for a real paho subscriber; a QoS 1 message arrives, its PUBACK
// is lost and the connection cut; the subscriber comes back and paho sees
// DUP=1; the tab's log shows the fault with the coach's words and the
// redelivery tagged DUP=1. A value out of range is refused at its field.
func TestBrowserFaultsTabLosesAPubackAndShowsTheRedelivery(t *testing.T) {
	ts := startServer(t, exerciseCourse("lab: true\n"), false)
	expiry := uint32(300)
	persistent := &paho.Connect{ClientID: "phone", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: &expiry}}
	sub := labtest.MustDial(t, ts.mqtt, persistent)
	sub.Sub(t, "home/temp", 1)

	ctx, errs := openLiveConsole(t, ts.URL+"/courses/tl/one")
	// Keyboard: focus the selected tab, End then Left reaches Faults (the
	// one before Checks).
	doJS(t, ctx, `document.querySelector('[role=tab][aria-selected=true]').focus()`)
	browsertest.Step(t, ctx, 10*time.Second, chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.ArrowLeft))
	waitJS(t, ctx, "the Faults tab selected", `document.getElementById('lab-tab-faults').getAttribute('aria-selected') === 'true' && !document.getElementById('lab-faults').hidden`)

	const withhold = `[data-form="fault-withhold"]`
	browsertest.Step(t, ctx, 10*time.Second,
		chromedp.SendKeys(withhold+` input[name=client_id]`, "phone"),
		chromedp.Click(withhold+` button[type=submit]`))
	waitJS(t, ctx, "the fault armed", `document.querySelector('[data-fault-said]').textContent.includes('Armed')`)
	sb := ts.labs.Lookup(labs.PersonalLearner)
	if err := sb.Publish("home/temp", []byte("21.5"), 1, false); err != nil {
		t.Fatal(err)
	}
	sub.Next(t)
	waitJS(t, ctx, "the lost PUBACK explained", `[...document.querySelectorAll('[data-fault-log] .lab-coach')].some(p => p.textContent.includes('did not receive this PUBACK from phone'))`)
	labtest.WaitEvent(t, sb, func(e labs.Event) bool { return e.Kind == labs.KindDisconnect && e.ClientID == "phone" })
	back := labtest.MustDial(t, ts.mqtt, persistent)
	if m := back.Next(t); !m.Duplicate() || string(m.Payload) != "21.5" {
		t.Fatalf("the client came back to %q dup %v, want 21.5 with DUP=1", m.Payload, m.Duplicate())
	}
	waitJS(t, ctx, "the redelivery tagged DUP=1 in the tab", `[...document.querySelectorAll('[data-fault-log] .lab-line.k-deliver')].some(li => li.querySelector('.lab-tag.dup') && li.textContent.includes('home/temp'))`)
	waitJS(t, ctx, "and in the log", `document.querySelector('[data-log] .lab-line.k-deliver .lab-tag.dup')`)

	// Out of range: the field says why.
	const outage = `[data-form="fault-unreachable"]`
	doJS(t, ctx, `document.querySelector('`+outage+` input[name=seconds]').value = ''`)
	browsertest.Step(t, ctx, 10*time.Second,
		chromedp.SendKeys(outage+` input[name=seconds]`, "500"),
		chromedp.Click(outage+` button[type=submit]`))
	waitJS(t, ctx, "the refusal at the field", `document.querySelector('`+outage+` input[name=seconds]').getAttribute('aria-invalid') === 'true' && document.querySelector('`+outage+` .lab-field-error').textContent.includes('1 to 60 seconds')`)
	if sb.Faults().Unreachable != nil {
		t.Error("an out-of-range outage was started")
	}

	if dir := os.Getenv("SCREENSHOT_DIR"); dir != "" {
		for _, v := range []struct {
			scheme string
			width  int
		}{{"light", 1366}, {"dark", 1366}, {"light", 390}, {"dark", 390}} {
			_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v.scheme}}})
			_, _ = chromedp.Run(ctx, chromedp.EmulateViewport(int64(v.width), 900))
			doJS(t, ctx, `var b=document.querySelector('[data-lab-toggle]'); if (b.getAttribute('aria-expanded') === 'false' && getComputedStyle(b).display !== 'none') b.click()`)
			time.Sleep(300 * time.Millisecond) // the drawer slides in
			doJS(t, ctx, `document.getElementById('lab-tab-faults').click(); document.querySelector('[data-form="fault-withhold"]').scrollIntoView({block: 'start'})`)
			screenshot(t, ctx, fmt.Sprintf("faults-%s-%d.png", v.scheme, v.width))
			doJS(t, ctx, `document.querySelector('[data-fault-log]').scrollIntoView({block: 'end'})`)
			screenshot(t, ctx, fmt.Sprintf("faults-log-%s-%d.png", v.scheme, v.width))
		}
	}
	if e := errs.all(); len(e) > 0 {
		t.Errorf("page errors: %v", e)
	}
}
