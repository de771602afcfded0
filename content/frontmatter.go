package content

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v4"
)

// Front matter stays outside the Markdown pass: it is cut off here, and the body's
// line numbers are shifted by the lines it took, so problems point into the file.
//
// YAML (the dialect's) is read by go.yaml.in/yaml/v4 into a yaml.Node, which
// knows the line of every key, so that a problem about a key (an id, a date,
// the lab set-up) points at it, and whose errors carry their position
// (yaml.LoadError). It reads YAML 1.2: yes, no, on and off are words, not
// booleans, and 0123 is a number in decimal. TOML (Hugo's other format) is
// read by github.com/BurntSushi/toml v1, whose ParseError has the position.
// JSON is left out on purpose: a Markdown body may well begin with "{".

// frontMatterError is a broken front matter, with the file line when known.
type frontMatterError struct {
	line int
	msg  string
}

// frontMatter is a file's front matter and body.
type frontMatter struct {
	meta map[string]any
	body []byte
	// lines of the file before the body.
	lines int
	// keyLines maps each key, nested ones as lab.devices[0].sensors, to its
	// line in the file; scalars holds the top-level values as written (YAML
	// only).
	keyLines map[string]int
	scalars  map[string]string
}

// splitFrontMatter splits a file into its front matter and body.
func splitFrontMatter(data []byte) (frontMatter, *frontMatterError) {
	// The opening delimiter's line: everything before it is blank.
	rest := data
	open, openLine := "", 0
	for i := 1; len(rest) > 0; i++ {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		if t := strings.TrimSpace(string(line)); t != "" {
			open, openLine = t, i
			rest = next
			break
		}
		rest = next
	}
	if open != "---" && open != "---yaml" && open != "+++" {
		return frontMatter{meta: map[string]any{}, body: data}, nil
	}
	closing := strings.TrimSuffix(open, "yaml")
	front, body, closeLine := []byte(nil), []byte(nil), 0
	for i, r := openLine+1, rest; ; i++ {
		if len(r) == 0 {
			return frontMatter{}, &frontMatterError{line: openLine, msg: "the front matter is not closed; add a line with " + closing + " after it"}
		}
		line, next, _ := bytes.Cut(r, []byte("\n"))
		if t := strings.TrimRight(string(line), " \t\r"); t == closing || (closing == "---" && t == "...") {
			front = rest[:len(rest)-len(r)]
			body, closeLine = next, i
			break
		}
		r = next
	}
	fm := frontMatter{body: body, lines: closeLine, keyLines: map[string]int{}, scalars: map[string]string{}}
	var raw map[string]any
	if closing == "+++" {
		if _, err := toml.Decode(string(front), &raw); err != nil {
			fe := &frontMatterError{line: openLine, msg: "the front matter cannot be read: " + err.Error()}
			var pe toml.ParseError
			if errors.As(err, &pe) {
				fe.line = openLine + pe.Position.Line
				fe.msg = "the front matter cannot be read: " + pe.Message
			}
			fe.msg += "; fix the TOML between the +++ lines (e.g. put quotes around text values)"
			return frontMatter{}, fe
		}
	} else {
		var root yaml.Node
		if err := yaml.Unmarshal(front, &root); err != nil {
			fe := &frontMatterError{line: openLine, msg: "the front matter cannot be read: " + err.Error()}
			var le *yaml.LoadError
			if errors.As(err, &le) {
				// Where the broken construct started (an unclosed bracket or
				// quote) is where to look, rather than where the reader gave up.
				line := le.Mark.Line
				if le.ContextMark.Line > 0 {
					line = le.ContextMark.Line
				}
				fe.line = openLine + max(line, 1)
				fe.msg = "the front matter cannot be read: " + le.Message
				if le.ContextMsg != "" {
					fe.msg += " " + le.ContextMsg
				}
			}
			fe.msg += "; fix the YAML between the --- lines (e.g. put quotes around values holding \": \")"
			return frontMatter{}, fe
		}
		if len(root.Content) > 0 {
			doc := root.Content[0]
			if doc.Kind != yaml.MappingNode {
				return frontMatter{}, &frontMatterError{line: openLine + doc.Line, msg: "the front matter must be key: value lines (title: My course), not a list or a lone value"}
			}
			if err := doc.Decode(&raw); err != nil {
				return frontMatter{}, &frontMatterError{line: openLine + doc.Line, msg: "the front matter cannot be read: " + err.Error()}
			}
			recordKeyLines(doc, "", openLine, fm.keyLines)
			for i := 0; i+1 < len(doc.Content); i += 2 {
				if v := doc.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
					fm.scalars[doc.Content[i].Value] = v.Value
				}
			}
		}
	}
	fm.meta, _ = normalize(raw).(map[string]any)
	if fm.meta == nil {
		fm.meta = map[string]any{}
	}
	return fm, nil
}

// recordKeyLines notes the file line of every key and list item below n.
func recordKeyLines(n *yaml.Node, prefix string, offset int, into map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if prefix != "" {
				p = prefix + "." + k.Value
			}
			into[p] = offset + k.Line
			recordKeyLines(v, p, offset, into)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := prefix + "[" + strconv.Itoa(i) + "]"
			into[p] = offset + item.Line
			recordKeyLines(item, p, offset, into)
		}
	}
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
