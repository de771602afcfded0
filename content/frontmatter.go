package content

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

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

// metaString reads a front matter value as text (duration: 2 is a number in YAML).
func metaString(meta map[string]any, key string) string {
	v, ok := meta[key]
	if !ok || v == nil {
		return ""
	}
	return strings.TrimSpace(fmt.Sprint(v))
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
