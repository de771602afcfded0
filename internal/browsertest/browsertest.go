// Package browsertest starts headless Chromium for tests that look at pages
// the way a learner does. Without Chromium such tests skip with a message
// saying what to install; under CI=true a missing Chromium fails them.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumNames are the executables tried, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// ExecPath finds a Chromium executable, or skips the test (fails under CI).
func ExecPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run browser tests (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome) to run browser tests")
	return ""
}

// options are the Chromium flags of every browser these tests start.
func options(path, userDataDir string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(userDataDir),
		chromedp.WindowSize(width, height),
		// The machine's network is closed: keep Chromium from calling home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
	}
}

// shared is the one browser of a test binary that called Share.
var shared struct {
	mu      sync.Mutex
	on      bool
	started bool
	browser context.Context
	err     error
	dir     string
	stop    func()
}

// Share makes New open each test's pages in its own isolated browser
// context (its own cookies, storage and cache) of one Chromium started for
// the whole test binary, instead of starting a Chromium per test: on a busy
// machine a start takes over ten seconds. Call it from TestMain and run the
// function it returns after m.Run, which stops that Chromium.
func Share() (stop func()) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.on = true
	return func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.stop != nil {
			shared.stop()
			_ = os.RemoveAll(shared.dir)
		}
		shared.on, shared.started, shared.stop = false, false, nil
	}
}

// sharedBrowser starts the shared Chromium once.
func sharedBrowser(path string) (context.Context, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		shared.dir, shared.err = os.MkdirTemp("", "browsertest-")
		if shared.err != nil {
			return nil, shared.err
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(path, shared.dir, 1366, 900)...)
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		shared.browser = browser
		shared.stop = func() { cancelBrowser(); cancelAlloc() }
		// The first Do starts the browser; it must not run under a timeout,
		// which would stop the browser with it (see chromedp.Run).
		if err := chromedp.Do(browser); err != nil {
			shared.err = fmt.Errorf("start chromium at %s: %w", path, err)
		}
	}
	return shared.browser, shared.err
}

// New returns a browser context for chromedp showing pages at the given
// size: a new Chromium, or a new isolated context of the shared one (see
// Share). It is closed when the test ends.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	path := ExecPath(t)
	shared.mu.Lock()
	on := shared.on
	shared.mu.Unlock()
	if on {
		browser, err := sharedBrowser(path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(width), Height: int64(height), DeviceScaleFactor: 1,
		}); err != nil {
			t.Fatalf("open a page in chromium: %v", err)
		}
		return ctx
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(path, t.TempDir(), width, height)...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first Do starts the browser; it must not run under a timeout,
	// which would stop the browser with it (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium at %s: %v", path, err)
	}
	return ctx
}

// Step runs actions with a time limit, so a page that never becomes ready
// fails the test instead of hanging it.
func Step(t testing.TB, ctx context.Context, limit time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatal(err)
	}
}
