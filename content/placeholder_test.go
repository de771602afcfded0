package content

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

const placeholderMD = `# Connect

Connect to [[lab.mqtt_url]].

` + "```js\nmqtt.connect(\"[[lab.ws_url]]\", [[lab.mqttjs_options]]);\n```" + `

# Plain

Nothing to fill in.
`

func placeholderCourse(t *testing.T, opts Options) *Course {
	t.Helper()
	cat := Load(mapFS("demo/index.md", "---\ntitle: Demo\n---\n"+placeholderMD), opts)
	if len(cat.Problems) != 0 {
		t.Fatalf("problems:\n%s", dumpProblems(cat.Problems))
	}
	return cat.Course("demo")
}

func learner(n int) map[string]string {
	return map[string]string{
		"mqtt_url":       fmt.Sprintf("mqtt://lab:1883/u%d", n),
		"ws_url":         "ws://lab:8080/mqtt",
		"mqttjs_options": fmt.Sprintf(`{ username: "u%d", password: "p%d" }`, n, n),
	}
}

func TestPlaceholdersRenderPerLearner(t *testing.T) {
	c := placeholderCourse(t, Options{})
	connect, plain := c.Sections[0], c.Sections[1]
	if !connect.HasPlaceholders || plain.HasPlaceholders {
		t.Fatalf("HasPlaceholders = %v, %v", connect.HasPlaceholders, plain.HasPlaceholders)
	}
	if !strings.Contains(string(connect.HTML), "[[lab.mqtt_url]]") {
		t.Errorf("without LabDefaults, placeholders stay as written:\n%s", connect.HTML)
	}
	if plain.HTMLFor(learner(1)) != plain.HTML {
		t.Error("a section without placeholders changed")
	}
	got := string(connect.HTMLFor(learner(7)))
	for _, want := range []string{"mqtt://lab:1883/u7", `<span class="s2">&#34;ws://lab:8080/mqtt&#34;</span>`, `<span class="nx">username</span>`, `&#34;p7&#34;`} {
		if !strings.Contains(got, want) {
			t.Errorf("HTMLFor lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "[[lab.") {
		t.Errorf("placeholder left:\n%s", got)
	}
	// A value cannot break the page: line breaks are flattened and raw HTML is
	// sanitised as anywhere else in a course.
	evil := string(connect.HTMLFor(map[string]string{"mqtt_url": "x\n# Injected\n<script>alert(1)</script>"}))
	assertSafe(t, "evil values", evil)
	if strings.Contains(evil, "<h1 id=\"injected\"") || strings.Contains(evil, "<script") {
		t.Errorf("value changed the page's structure:\n%s", evil)
	}
}

func TestLabDefaultsFillSectionHTML(t *testing.T) {
	c := placeholderCourse(t, Options{LabDefaults: map[string]string{"mqtt_url": "mqtt://localhost:1883"}})
	s := c.Sections[0]
	if !strings.Contains(string(s.HTML), "mqtt://localhost:1883") || !strings.Contains(string(s.HTML), "[[lab.ws_url]]") {
		t.Errorf("HTML with defaults:\n%s", s.HTML)
	}
	if !s.HasPlaceholders || !strings.Contains(string(s.HTMLFor(learner(2))), "u2") {
		t.Error("HTMLFor does not render a learner's values over the defaults")
	}
}

func TestHTMLForIsSafeForConcurrentUseAndBounded(t *testing.T) {
	c := placeholderCourse(t, Options{})
	s := c.Sections[0]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				n := (g*40 + i) % 100
				if got := string(s.HTMLFor(learner(n))); !strings.Contains(got, fmt.Sprintf("&#34;p%d&#34;", n)) {
					t.Errorf("learner %d got another's page", n)
					return
				}
			}
		})
	}
	wg.Wait()
	pc := c.placeholders
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.lru.Len() > placeholderCacheSize || len(pc.entries) != pc.lru.Len() {
		t.Errorf("cache holds %d entries (%d in map), bound %d", pc.lru.Len(), len(pc.entries), placeholderCacheSize)
	}
}
