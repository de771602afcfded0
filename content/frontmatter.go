package content

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/adrg/frontmatter"
	"gopkg.in/yaml.v2"
)

// Front matter stays outside the Markdown pass: it is cut off here, and the body's
// line numbers are shifted by the lines it took, so problems point into the file.

// frontMatterFormats are YAML (the dialect's) and TOML (Hugo's other format, which
// some course trees use). JSON is left out on purpose: frontmatter's JSON format
// starts at a bare "{" line, which a Markdown body may well begin with.
var frontMatterFormats = []*frontmatter.Format{
	frontmatter.NewFormat("---", "---", yaml.Unmarshal),
	frontmatter.NewFormat("---yaml", "---", yaml.Unmarshal),
	frontmatter.NewFormat("+++", "+++", toml.Unmarshal),
}

var errLineRE = regexp.MustCompile(`line (\d+)`)

// frontMatterError is a broken front matter, with the file line when known.
type frontMatterError struct {
	line int
	msg  string
}

// splitFrontMatter returns the front matter keys, the body, and how many lines of
// the file come before the body.
func splitFrontMatter(data []byte) (map[string]any, []byte, int, *frontMatterError) {
	// The opening delimiter's line, for YAML errors, which count from after it.
	open, openLine := "", 0
	for i, l := range strings.SplitAfter(string(data), "\n") {
		if t := strings.TrimSpace(l); t != "" {
			open, openLine = t, i+1
			break
		}
	}
	if open != "---" && open != "---yaml" && open != "+++" {
		return map[string]any{}, data, 0, nil
	}
	var raw map[string]any
	body, err := frontmatter.Parse(bytes.NewReader(data), &raw, frontMatterFormats...)
	if err != nil {
		fe := &frontMatterError{line: openLine, msg: "the front matter cannot be read: " + err.Error()}
		if m := errLineRE.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			fe.line = openLine + n
		}
		fe.msg += "; fix the YAML between the --- lines (e.g. put quotes around values holding \": \")"
		return nil, nil, 0, fe
	}
	if len(body) == len(data) {
		return nil, nil, 0, &frontMatterError{line: openLine, msg: "the front matter is not closed; add a line with " + strings.TrimSuffix(open, "yaml") + " after it"}
	}
	lines := bytes.Count(data[:len(data)-len(body)], []byte("\n"))
	meta, _ := normalize(raw).(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	return meta, body, lines, nil
}

// normalize turns YAML's map[interface{}]interface{} into map[string]any all the
// way down, so Meta is easy to use (and to encode as JSON).
func normalize(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = normalize(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = normalize(e)
		}
		return s
	}
	return v
}

// metaString reads a front matter value as text (duration: 2 is a number in
// YAML): the first of keys that is set, so that aliases (title, name) work.
func metaString(meta map[string]any, keys ...string) string {
	for _, key := range keys {
		v, ok := meta[key]
		if !ok || v == nil {
			continue
		}
		if t, ok := v.(time.Time); ok {
			return t.Format(time.DateOnly)
		}
		if s := strings.TrimSpace(fmt.Sprint(v)); s != "" {
			return s
		}
	}
	return ""
}

// dateLayouts are the ways authors write dates in front matter.
var dateLayouts = []string{time.DateOnly, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"}

// parseDate reads a front matter date: a YAML or TOML timestamp, or text in
// one of dateLayouts.
func parseDate(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case string:
		s := strings.TrimSpace(v)
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// spanRE is a span of time as program units write it: 0d, 2d, 1w, 3h.
var spanRE = regexp.MustCompile(`^(\d+)\s*([dwhm]?)$`)

// parseSpan reads a span such as "1d" (a bare number counts days).
func parseSpan(s string) (time.Duration, bool) {
	m := spanRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": 24 * time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[2]]
	return time.Duration(n) * unit, true
}

// metaInt reads a front matter value as an integer, 0 if absent or not a number.
func metaInt(meta map[string]any, key string) int {
	switch v := meta[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(strings.TrimSpace(v))
		return n
	}
	return 0
}
