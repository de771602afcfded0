package content

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/courselab/courselab/courses"
)

// The seed course (testdata/seed/mqtt-apis/index.md, a copy of
// shared/seed/mqtt-apis-course.md with placeholder images) must read as-is.

// codeBlockRE matches rendered code blocks, where tags are shown, not live.
var codeBlockRE = regexp.MustCompile(`(?s)<div class="code"[^>]*>.*?</pre></div>`)

func TestSeedCourseLoadsAsWritten(t *testing.T) {
	cat := Load(os.DirFS("testdata/seed"), Options{})
	c := cat.Course("mqtt_course")
	if c == nil {
		t.Fatalf("seed course not loaded; problems:\n%s", dumpProblems(cat.Problems))
	}
	if c.Title != "MQTT APIs" || c.Difficulty != "intermediate" || c.Duration != "2h" {
		t.Errorf("front matter = %q %q %q", c.Title, c.Difficulty, c.Duration)
	}
	want := []string{"Introduction", "HTTP vs MQTT", "Architecture", "Topics", "Other features", "Hands on task - MQTT Application", "Exercise"}
	var got []string
	for _, s := range c.Sections {
		got = append(got, s.Title)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sections = %q, want %q", got, want)
	}
	if s := c.Section("hands-on-task-mqtt-application"); s == nil || s.Line != 88 {
		t.Errorf("hands-on section slug or line wrong: %+v", s)
	}
	if h := c.Section("other-features").Headings; len(h) != 3 || h[0].ID != "quality-of-service" {
		t.Errorf("other-features headings = %+v", h)
	}

	intro := string(c.Sections[0].HTML)
	if !strings.Contains(intro, `<iframe src="https://www.youtube-nocookie.com/embed/ozqQEhM5IPo"`) ||
		!strings.Contains(intro, `href="https://www.youtube.com/watch?v=ozqQEhM5IPo"`) {
		t.Errorf("intro lacks the video:\n%s", intro)
	}
	handsOn := string(c.Sections[5].HTML)
	if !strings.Contains(handsOn, `<div class="code" data-lang="html"><pre class="chroma"><code><span class="line"><span class="cl"><span class="cp">&lt;!DOCTYPE html&gt;</span>`) {
		t.Errorf("HTML document not shown as code:\n%s", handsOn)
	}
	if !strings.Contains(handsOn, "devices/&lt;device-id&gt;/sensors/&lt;sensor-id&gt;/value") {
		t.Errorf("placeholder tags not shown as text")
	}
	for _, s := range c.Sections {
		assertSafe(t, s.Slug, string(s.HTML))
		outside := strings.ToLower(codeBlockRE.ReplaceAllString(string(s.HTML), ""))
		for _, tag := range []string{"<youtube", "<alert", "<quiz", "<answer", "<!doctype", "<html", "<script", "<style", "<device-id"} {
			if strings.Contains(outside, tag) {
				t.Errorf("section %s has raw %s outside code", s.Slug, tag)
			}
		}
	}
	problems := dumpProblems(cat.Problems)
	for _, want := range []string{
		"mqtt-apis/index.md:103: warning: <device-id> is not an HTML tag",
		"mqtt-apis/index.md:111: warning: a full HTML document is shown as code",
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
}

func BenchmarkLoadCourseTree(b *testing.B) {
	fsys := os.DirFS("testdata/seed")
	for b.Loop() {
		cat := Load(fsys, Options{})
		if len(cat.Courses) != 1 {
			b.Fatal("seed not loaded")
		}
	}
}

// BenchmarkLoadBundledCourses is a cold load of the catalog `go run
// ./cmd/courselab` serves: every bundled course parsed, highlighted,
// sanitised and rendered.
func BenchmarkLoadBundledCourses(b *testing.B) {
	for b.Loop() {
		cat := Load(courses.FS, Options{})
		if len(cat.Courses) < 2 || len(cat.Problems) > 0 {
			b.Fatalf("bundled courses: %d loaded, problems %v", len(cat.Courses), cat.Problems)
		}
	}
}
