package content

import (
	"bytes"
	"container/list"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
)

// [[lab.NAME]] in course text and code shows each learner their own connection
// details. Double square brackets never occur in JavaScript template literals
// (${…}), Angular or Vue templates ({{ }}), shell, JSON or MQTT topics, so the
// course's code samples stay as they are around them. Placeholders are replaced
// in the Markdown source, before goldmark, so that highlighted code still
// highlights the values and links built from them (](… [[lab.api_base]]/…)
// work; the values are the platform's own (URLs, alphanumeric credentials), and
// the output goes through the same sanitising as any course text.

// PlaceholderNames are the names [[lab.NAME]] may use:
//
//	mqtt_url        mqtt://HOST:1883
//	ws_url          ws://HOST:8080/mqtt
//	mqtt_host       HOST
//	mqtt_port       1883
//	api_base        http://HOST:8080/api/v2
//	username        the learner's MQTT username (classroom mode)
//	password        the learner's MQTT password (classroom mode)
//	token           the learner's REST bearer token (classroom mode)
//	mosquitto_auth  -u USER -P PASS in classroom mode, empty in personal mode
//	curl_auth       -H "Authorization: Bearer TOKEN", or empty
//	mqttjs_options  { username: "USER", password: "PASS" }, or {}
var PlaceholderNames = []string{
	"mqtt_url", "ws_url", "mqtt_host", "mqtt_port", "api_base",
	"username", "password", "token",
	"mosquitto_auth", "curl_auth", "mqttjs_options",
}

// placeholderRE matches [[lab.NAME]], spaces allowed inside the brackets.
var placeholderRE = regexp.MustCompile(`\[\[\s*lab\.([^\[\]\s]*)\s*\]\]`)

func knownPlaceholder(name string) bool {
	for _, n := range PlaceholderNames {
		if n == name {
			return true
		}
	}
	return false
}

// placeholderMatches returns the [start, end, nameStart, nameEnd] of every
// placeholder not escaped with a backslash (\[[lab.x]] shows as written).
func placeholderMatches(body []byte) [][]int {
	var out [][]int
	for _, m := range placeholderRE.FindAllSubmatchIndex(body, -1) {
		if m[0] > 0 && body[m[0]-1] == '\\' {
			continue
		}
		out = append(out, m)
	}
	return out
}

// scanPlaceholders reports unknown placeholder names and says whether the body
// uses any known one.
func scanPlaceholders(c *courseContext, body []byte) bool {
	uses := false
	for _, m := range placeholderMatches(body) {
		name := string(body[m[2]:m[3]])
		if knownPlaceholder(name) {
			uses = true
			continue
		}
		c.errorAt(m[0], "unknown placeholder [[lab.%s]], shown as written; use one of %s (or write \\[[lab.%s]] to show the brackets)", name, strings.Join(PlaceholderNames, ", "), name)
	}
	return uses
}

// substitute replaces the known placeholders that values has a value for.
// Line breaks are taken out of values, so that the course keeps its shape.
func substitute(body []byte, values map[string]string) []byte {
	if values == nil {
		return body
	}
	ms := placeholderMatches(body)
	if len(ms) == 0 {
		return body
	}
	var b bytes.Buffer
	last := 0
	for _, m := range ms {
		v, ok := values[string(body[m[2]:m[3]])]
		if !ok || !knownPlaceholder(string(body[m[2]:m[3]])) {
			continue
		}
		b.Write(body[last:m[0]])
		b.WriteString(strings.NewReplacer("\r", " ", "\n", " ").Replace(v))
		last = m[1]
	}
	b.Write(body[last:])
	return b.Bytes()
}

// placeholderCacheSize bounds the renders kept per course: one per distinct
// set of values, that is per learner in classroom mode.
const placeholderCacheSize = 64

// placeholderCache renders a course for one set of lab values. The whole
// course is rendered, not one section, because reference links, heading ids
// and links between sections are course-wide; every section of that render is
// kept, so a learner's next page costs nothing.
type placeholderCache struct {
	md       goldmark.Markdown
	doc      doc
	title    string
	sections int

	mu      sync.Mutex
	entries map[string]*list.Element // of *placeholderEntry
	lru     *list.List               // most recently used first
}

type placeholderEntry struct {
	key  string
	once sync.Once
	html []template.HTML // nil if the render did not match the course
}

// markPlaceholders sets Section.HasPlaceholders on the sections whose HTML
// depends on lab values, by rendering the course once more with other values
// (unless probe is false: a render taken over from the previous load carries
// its marks), and prepares the course's cache for HTMLFor.
func (l *loader) markPlaceholders(c *Course, d doc, probe bool) {
	pc := &placeholderCache{
		md: l.md, doc: d, title: c.Title, sections: len(c.Sections),
		entries: map[string]*list.Element{}, lru: list.New(),
	}
	c.placeholders = pc
	if !probe {
		return
	}
	values := map[string]string{}
	for _, n := range PlaceholderNames {
		values[n] = "lab-probe-" + n
	}
	other := pc.render(values)
	for i, s := range c.Sections {
		if other == nil || other[i] != s.HTML {
			s.HasPlaceholders = true
		}
	}
}

// render renders every section of the course with values, or returns nil if
// the result does not have the course's sections (it always should).
func (pc *placeholderCache) render(values map[string]string) []template.HTML {
	cc := newCourseContext(pc.doc)
	r := renderCourse(pc.md, cc, substitute(pc.doc.body, values), pc.title)
	if len(r.sections) != pc.sections {
		return nil
	}
	out := make([]template.HTML, len(r.sections))
	for i, s := range r.sections {
		out[i] = s.HTML
	}
	return out
}

// get returns the course rendered for values, from the cache when it can.
// Concurrent calls for the same values render once.
func (pc *placeholderCache) get(values map[string]string) []template.HTML {
	var kb strings.Builder
	for _, n := range PlaceholderNames {
		if v, ok := values[n]; ok {
			kb.WriteString(n + "=" + v + "\x00")
		}
	}
	key := kb.String()
	pc.mu.Lock()
	el, ok := pc.entries[key]
	if ok {
		pc.lru.MoveToFront(el)
	} else {
		el = pc.lru.PushFront(&placeholderEntry{key: key})
		pc.entries[key] = el
		for pc.lru.Len() > placeholderCacheSize {
			old := pc.lru.Back()
			pc.lru.Remove(old)
			delete(pc.entries, old.Value.(*placeholderEntry).key)
		}
	}
	e := el.Value.(*placeholderEntry)
	pc.mu.Unlock()
	e.once.Do(func() { e.html = pc.render(values) })
	return e.html
}

// HTMLFor returns the section rendered with one learner's lab values (keys of
// PlaceholderNames; a name without a value stays as written). A section
// without placeholders returns HTML at no cost; the others are rendered once
// per distinct values and cached (a bounded cache per course). It is safe for
// concurrent use.
func (s *Section) HTMLFor(values map[string]string) template.HTML {
	if !s.HasPlaceholders || s.course == nil || s.course.placeholders == nil {
		return s.HTML
	}
	if h := s.course.placeholders.get(values); s.Index < len(h) {
		return h[s.Index]
	}
	return s.HTML
}
