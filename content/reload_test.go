package content

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeCourse writes a file under dir and moves its modification time forward,
// so that an edit within the file system's time granularity is still seen.
func writeCourse(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Duration(len(data)) * time.Millisecond)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for the reloader's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitCatalog calls Catalog until cond holds, as page loads would.
func waitCatalog(t *testing.T, r *Reloader, what string, cond func(*Catalog) bool) *Catalog {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		cat := r.Catalog()
		if cond(cat) {
			return cat
		}
		if time.Now().After(deadline) {
			t.Fatalf("within a second: %s; problems:\n%s", what, dumpProblems(cat.Problems))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sectionText(cat *Catalog, id string) string {
	c := cat.Course(id)
	if c == nil || len(c.Sections) == 0 {
		return ""
	}
	return string(c.Sections[0].HTML)
}

func TestReloaderShowsEditsAndKeepsLastGoodVersion(t *testing.T) {
	dir := t.TempDir()
	writeCourse(t, dir, "mqtt/index.md", "---\nid: mqtt\ntitle: MQTT\n---\n# Hello\n\nFirst version.\n")
	writeCourse(t, dir, "other/index.md", "---\nid: other\ntitle: Other\n---\n# Other\n")
	var logs syncBuffer
	r := NewReloader(os.DirFS(dir), Options{}, slog.New(slog.NewTextHandler(&logs, nil)))

	first := r.Catalog()
	if !strings.Contains(sectionText(first, "mqtt"), "First version.") {
		t.Fatalf("first load: %s", sectionText(first, "mqtt"))
	}
	if r.Catalog() != first {
		t.Error("Catalog changed without an edit")
	}

	// An edit shows on the next page load within a second.
	writeCourse(t, dir, "mqtt/index.md", "---\nid: mqtt\ntitle: MQTT\n---\n# Hello\n\nSecond version.\n")
	waitCatalog(t, r, "edit shown", func(c *Catalog) bool { return strings.Contains(sectionText(c, "mqtt"), "Second version.") })

	// Broken front matter: the course keeps its last good version, and says why.
	writeCourse(t, dir, "mqtt/index.md", "---\nid: mqtt\ntitle: [MQTT\n---\n# Hello\n\nBroken version.\n")
	cat := waitCatalog(t, r, "broken edit noticed", func(c *Catalog) bool { return len(c.Stale["mqtt"]) > 0 })
	if !strings.Contains(sectionText(cat, "mqtt"), "Second version.") {
		t.Errorf("stale course does not serve the last good version: %s", sectionText(cat, "mqtt"))
	}
	if cat.Course("other") == nil || len(cat.Courses) != 2 || cat.Courses[0].ID != "mqtt" {
		t.Errorf("catalog lost a course or its order: %v", cat.Courses)
	}
	if s := cat.Stale["mqtt"][0].String(); !strings.Contains(s, "mqtt/index.md:3: error: the front matter cannot be read") {
		t.Errorf("stale reason = %s", s)
	}

	// A new error in a published course (a broken exercise) also keeps the
	// good version.
	writeCourse(t, dir, "mqtt/index.md", "---\nid: mqtt\ntitle: MQTT\n---\n# Hello\n\nThird version.\n\n<exercise id=\"x\" title=\"X\">\nGoal.\n</exercise>\n")
	cat = waitCatalog(t, r, "new error noticed", func(c *Catalog) bool {
		return len(c.Stale["mqtt"]) == 1 && strings.Contains(c.Stale["mqtt"][0].Message, "has no <check")
	})
	if !strings.Contains(sectionText(cat, "mqtt"), "Second version.") {
		t.Errorf("course with a new error does not serve the last good version")
	}

	// Fixed: the new version shows and nothing is stale.
	writeCourse(t, dir, "mqtt/index.md", "---\nid: mqtt\ntitle: MQTT\n---\n# Hello\n\nFixed version.\n")
	cat = waitCatalog(t, r, "fix shown", func(c *Catalog) bool { return strings.Contains(sectionText(c, "mqtt"), "Fixed version.") })
	if cat.Stale != nil {
		t.Errorf("still stale after the fix: %v", cat.Stale)
	}

	// A removed course goes away: that is no broken edit.
	if err := os.RemoveAll(filepath.Join(dir, "other")); err != nil {
		t.Fatal(err)
	}
	waitCatalog(t, r, "removed course gone", func(c *Catalog) bool { return c.Course("other") == nil && c.Stale == nil })

	// Each problem was logged once, however many times the folder was looked at.
	for range 5 {
		r.Reload()
	}
	if n := strings.Count(logs.String(), "the front matter cannot be read"); n != 1 {
		t.Errorf("front matter problem logged %d times:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "last good version") {
		t.Errorf("stale course not logged:\n%s", logs.String())
	}
}

func TestReloaderBackgroundLoopAndConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	writeCourse(t, dir, "c/index.md", "---\ntitle: C\n---\n# C\n\nv1\n")
	r := NewReloader(os.DirFS(dir), Options{}, nil)
	ctx := t.Context()
	r.Start(ctx)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					if r.Catalog().Course("c") == nil {
						t.Error("course missing during reloads")
						return
					}
				}
			}
		})
	}
	writeCourse(t, dir, "c/index.md", "---\ntitle: C\n---\n# C\n\nv2 longer\n")
	deadline := time.Now().Add(time.Second)
	for !strings.Contains(sectionText(r.cur.Load(), "c"), "v2") {
		if time.Now().After(deadline) {
			t.Fatal("background loop did not reload within a second")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
}

// A reload after an edit renders again only the course that changed; the
// others (and every page of the site) are taken over from the previous load.
func TestReloadRendersOnlyTheChangedCourse(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/site")); err != nil {
		t.Fatal(err)
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReloader(fsys, Options{}, nil)
	first := r.Catalog()
	docs := first.rendered.Len()
	if first.freshRenders != docs || docs < 15 {
		t.Fatalf("first load rendered %d of %d documents", first.freshRenders, docs)
	}
	writeCourse(t, dir, "courses/4.EdgeComputing/5.AI/1.Vision/index.md", "---\ntitle: Seeing with a camera\n---\n# Cameras\n\nNow it counts wasps.\n")
	next := r.Reload()
	if next == first {
		t.Fatal("the edit was not seen")
	}
	if next.freshRenders != 1 {
		t.Errorf("the reload rendered %d documents, want only the edited course", next.freshRenders)
	}
	if got := string(next.Course("vision").Sections[0].HTML); !strings.Contains(got, "wasps") {
		t.Errorf("the edit does not show: %s", got)
	}
	if hits := next.Search("wasps", 5); len(hits) != 1 || hits[0].URL != "/courses/vision/cameras" {
		t.Errorf("search was not rebuilt: %v", hits)
	}
	// Sections taken over are the new catalog's own.
	if s := next.Course("micropython").Sections[0]; s == first.Course("micropython").Sections[0] || s.course != next.Course("micropython") {
		t.Error("a section taken over is shared with the previous catalog")
	}
	// A new page changes where pages are served, so every link may change:
	// everything is rendered again.
	writeCourse(t, dir, "resources/Boards/Pi/index.md", "---\ntitle: Pi\n---\nA small computer.\n")
	if again := r.Reload(); again.freshRenders != again.rendered.Len() {
		t.Errorf("after a new page, %d of %d documents rendered", again.freshRenders, again.rendered.Len())
	}
}
