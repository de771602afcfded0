package content

import (
	"strings"
	"testing"
	"time"
)

func TestFrontMatterProblemsHaveTheirLine(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"yaml unclosed bracket", "---\ntitle: T\ndescription: [open\n---\n# T\n", ":3: error: the front matter cannot be read: did not find expected ',' or ']' while parsing a flow sequence"},
		{"yaml colon in value", "---\ntitle: T\ndescription: a: b\n---\n# T\n", ":3: error: the front matter cannot be read: mapping values are not allowed in this context"},
		{"yaml unclosed quote", "\n---\ntitle: \"T\n---\n# T\n", ":3: error: the front matter cannot be read: found unexpected end of stream while scanning a quoted scalar"},
		{"yaml a list", "---\n- a\n- b\n---\n# T\n", ":2: error: the front matter must be key: value lines"},
		{"toml bad value", "+++\ntitle = \"T\"\nweight = one\n+++\n# T\n", ":3: error: the front matter cannot be read"},
		{"not closed", "---\ntitle: T\n# T\n", ":1: error: the front matter is not closed"},
		{"bad id", "---\ntitle: T\nauthor: A\nid: \"a b\"\n---\n# T\n", `:4: error: id "a b" cannot be used in a URL`},
	}
	for _, c := range cases {
		cat := Load(mapFS("c/index.md", c.file), Options{})
		got := dumpProblems(cat.Problems)
		if !strings.Contains(got, "c/index.md"+c.want) {
			t.Errorf("%s: problems\n%s\nwant c/index.md%s", c.name, got, c.want)
		}
	}
}

// Course trees were written for YAML 1.1 readers (Hugo's). Under YAML 1.2
// the values they hold read the same or better: words stay words.
func TestFrontMatterReadsYAML12(t *testing.T) {
	cat := Load(mapFS("c/index.md", "---\ntitle: Yes\nshort: no\npublished: true\nanswer: on\nversion: 1.10\ncode: 0123\ntime: 1:30\nfrom: 2024-05-06\nlab:\n  devices:\n    - id: ESPDEVICE\n      sensors:\n        - id: TC\n---\n# T\n"), Options{})
	c := cat.Course("c")
	if c == nil {
		t.Fatalf("not loaded:\n%s", dumpProblems(cat.Problems))
	}
	// Meta holds what the YAML reader makes of each value: yes/no/on/off are
	// words (YAML 1.2); 0123 stays octal, as go-yaml (and yaml.v2 before it)
	// reads it for compatibility.
	want := map[string]any{"title": "Yes", "short": "no", "published": true, "answer": "on", "version": 1.1, "code": 83, "time": "1:30"}
	for k, v := range want {
		if c.Meta[k] != v {
			t.Errorf("%s = %#v (%T), want %#v", k, c.Meta[k], c.Meta[k], v)
		}
	}
	// Text keys are read as written.
	cat = Load(mapFS("c/index.md", "---\ntitle: 1.10\nid: 0123\ndescription: on\n---\n# T\n"), Options{})
	if c := cat.Course("0123"); c == nil || c.Title != "1.10" || c.Description != "on" {
		t.Errorf("text keys not as written: %+v", c)
	}
	if d, ok := parseDate(c.Meta["from"]); !ok || !d.Equal(time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("from = %#v", c.Meta["from"])
	}
	for key, line := range map[string]int{"title": 2, "lab": 10, "lab.devices[0]": 12, "lab.devices[0].sensors[0]": 14, "lab.devices[0].sensors[0].nope": 14, "lab.devices[3]": 11} {
		if got := c.MetaLine(key); got != line {
			t.Errorf("MetaLine(%q) = %d, want %d", key, got, line)
		}
	}
}
