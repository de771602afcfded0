package server

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/courselab/courselab/internal/browsertest"
)

// copySources are code blocks as written in a course: indentation, a tab,
// blank lines, trailing spaces, a one-liner.
var copySources = []struct{ lang, src string }{
	{"js", "const client = mqtt.connect(\"ws://localhost:8080/mqtt\");\n\nclient.on(\"connect\", () => {\n  client.subscribe(\"devices/#\");\n\tconsole.log(\"ready\");  \n});\n\n\n// end"},
	{"sh", "mosquitto_sub -h localhost -p 1883 -u learner-with-a-long-name -P secret -t 'devices/ESPDEVICE/sensors/TC/value' -v"},
	{"", "plain text\n  indented\n\nafter a blank line"},
}

func copyCourse() fstest.MapFS {
	var b strings.Builder
	b.WriteString("---\nid: copy\ntitle: Copy\n---\n\n# Code\n\n")
	for _, c := range copySources {
		b.WriteString("```" + c.lang + "\n" + c.src + "\n```\n\n")
	}
	return fstest.MapFS{"copy/index.md": {Data: []byte(b.String())}}
}

// TestBrowserCopyGivesTheCodeByteForByte clicks every Copy button and reads
// the clipboard: the text is the block's source, not one with every line
// break doubled. The button sits beside a one-line block, not over it.
func TestBrowserCopyGivesTheCodeByteForByte(t *testing.T) {
	ts := startServer(t, copyCourse(), false)
	ctx := browsertest.New(t, 1366, 900)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: ts.URL,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID, // the test's own context of a shared browser
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The clipboard works for a focused page only.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	browsertest.Step(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/courses/copy/code"), chromedp.WaitVisible(chromedp.CSS(".prose .copy")))
	for i, c := range copySources {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](sprintf(`(async () => {
			const b = document.querySelectorAll('.prose .copy')[%d];
			b.click();
			for (let i = 0; i < 50 && b.textContent !== 'Copied'; i++) await new Promise(r => setTimeout(r, 20));
			if (b.textContent !== 'Copied') return 'button says ' + b.textContent;
			return await navigator.clipboard.readText();
		})()`, i), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.src {
			t.Errorf("block %d: copied %q, want the source %q", i, got, c.src)
		}
	}
	// The one-liner's text ends before the button starts.
	gap, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const box = document.querySelectorAll('.prose .code')[1], pre = box.querySelector('pre'), b = box.querySelector('.copy');
		const textRight = pre.getBoundingClientRect().right - parseFloat(getComputedStyle(pre).paddingRight);
		return b.getBoundingClientRect().left - textRight;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if gap < 0 {
		t.Errorf("the Copy button covers the last %.0f px of a one-line block's text", -gap)
	}
}
