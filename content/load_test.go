package content

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// tree is a course directory with categories, order prefixes, drafts and
// mistakes, the way instructors' folders look.
func tree() fstest.MapFS {
	return fstest.MapFS{
		"intro/index.md":              file("---\nid: intro\ntitle: Intro\ndifficulty: beginner\nduration: 30\nlab:\n  devices:\n    - ESPDEVICE\n---\n# Hello\n"),
		"2.second/index.md":           file("---\ntitle: Second\n---\n# Two\n"),
		"1.first/_index.md":           file("---\ntitle: First\n---\n# One\n![pic](img/there.png) ![gone](img/missing.png)\n"),
		"1.first/img/there.png":       file("png"),
		"1.first/img/nested/index.md": file("---\ntitle: Hidden\n---\n# Not loaded\n"),

		"4.EdgeComputing/_index.md":              file("---\nshort_title: Edge\ndescription: At the edge.\n---\n\n"),
		"4.EdgeComputing/3.MQTT/index.md":        file("---\ntitle: MQTT basics\n---\n# MQTT\n"),
		"4.EdgeComputing/1.Gateways/_index.md":   file("---\ntitle: Gateways\nweight: 2\n---\n"),
		"4.EdgeComputing/1.Gateways/gw/index.md": file("---\ntitle: Gateway course\n---\n# GW\n"),
		"4.EdgeComputing/2.Lora/_index.md":       file("---\ntitle: LoRa\nweight: 1\n---\n"),
		"4.EdgeComputing/2.Lora/lora/index.md":   file("---\ntitle: LoRa course\n---\n# LoRa\n"),
		"4.EdgeComputing/draft.Future/index.md":  file("---\ntitle: Future\n---\n# Soon\n"),
		"draft.wip/index.md":                     file("---\ntitle: WIP\n---\n# WIP\n"),

		"plain/sub/index.md": file("---\ntitle: In a plain folder\n---\n# Plain\n"),

		"broken/index.md":   file("---\ntitle: Broken\ndescription: [unclosed\n---\n# Broken\n"),
		"unclosed/index.md": file("---\ntitle: Unclosed\n# Body\n"),
		"zdup/index.md":     file("---\nid: intro\ntitle: Duplicate\n---\n# Dup\n"),
		"notitle/index.md":  file("# No title\n"),
		"empty/_index.md":   file("---\ntitle: Empty\n---\n"),
		".hidden/index.md":  file("---\ntitle: Hidden\n---\n# Hidden\n"),
	}
}

func TestLoadBuildsCatalogFromTree(t *testing.T) {
	cat := Load(tree(), Options{})

	var ids []string
	for _, c := range cat.Courses {
		ids = append(ids, c.ID)
	}
	// Root group first (prefixed folders first, then by name), then categories
	// depth first, weight before prefix.
	wantIDs := []string{"first", "second", "intro", "notitle", "mqtt", "lora", "gw", "sub"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("course order = %v, want %v", ids, wantIDs)
	}

	var groups []string
	for _, g := range cat.Groups {
		groups = append(groups, strings.Join(g.Path, " > ")+"|"+g.Title)
	}
	wantGroups := []string{"|", "Edge Computing|Edge Computing", "Edge Computing > LoRa|LoRa", "Edge Computing > Gateways|Gateways", "plain|plain"}
	// Edge Computing itself holds MQTT directly, so it is listed; its
	// sub-categories follow it.
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("groups = %q, want %q", groups, wantGroups)
	}
	edge := cat.Groups[1]
	if edge.ShortTitle != "Edge" || edge.Description != "At the edge." {
		t.Errorf("category front matter not read: %+v", edge)
	}

	mqtt := cat.Course("mqtt")
	if mqtt == nil || mqtt.Dir != "4.EdgeComputing/3.MQTT" || mqtt.File != "4.EdgeComputing/3.MQTT/index.md" {
		t.Fatalf("course mqtt = %+v", mqtt)
	}
	intro := cat.Course("intro")
	if intro.Title != "Intro" || intro.Difficulty != "beginner" || intro.Duration != "30" {
		t.Errorf("intro front matter = %+v", intro)
	}
	lab, _ := intro.Meta["lab"].(map[string]any)
	if devices, _ := lab["devices"].([]any); len(devices) != 1 || devices[0] != "ESPDEVICE" {
		t.Errorf("unknown front matter key lab not kept as map[string]any: %#v", intro.Meta["lab"])
	}
	if cat.Course("future") != nil || cat.Course("wip") != nil || cat.Course("hidden") != nil {
		t.Error("draft or hidden course published")
	}
	if cat.Course("nope") != nil || (*Catalog)(nil).Course("x") != nil {
		t.Error("unknown id found")
	}
	if _, err := cat.Course("first").Files.Open("img/there.png"); err != nil {
		t.Errorf("course Files cannot open its image: %v", err)
	}

	problems := dumpProblems(cat.Problems)
	for _, want := range []string{
		"broken/index.md:3: error: the front matter cannot be read",
		"unclosed/index.md:1: error: the front matter is not closed",
		`zdup/index.md:2: error: course id "intro" is already used by intro/index.md`,
		"notitle/index.md:1: warning: has no title",
		`1.first/_index.md:5: error: the image "img/missing.png" is not in the course folder`,
		"1.first/img/nested/index.md: error: is not loaded: 1.first is a course",
		"empty/_index.md: warning: has no content and no sub-folders",
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q; got:\n%s", want, problems)
		}
	}
	if strings.Contains(problems, "there.png") {
		t.Errorf("existing image reported missing:\n%s", problems)
	}
	if len(cat.Problems) != 7 {
		t.Errorf("got %d problems, want 7:\n%s", len(cat.Problems), problems)
	}
}

func TestLoadRewritesUnderURLPrefix(t *testing.T) {
	fsys := fstest.MapFS{
		"c/index.md":  file("---\ntitle: C\n---\n# C\n![x](img/x.png)\n<quiz id=\"q\">\n<answer right>a</answer>\n</quiz>\n"),
		"c/img/x.png": file("png"),
	}
	cat := Load(fsys, Options{URLPrefix: "/learn/"})
	html := string(cat.Course("c").Sections[0].HTML)
	for _, want := range []string{`src="/learn/c/img/x.png"`, `action="/learn/c/quizzes/q"`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s:\n%s", want, html)
		}
	}
}

func TestFolderNames(t *testing.T) {
	tests := []struct {
		name, label, human string
		order              int
		ok                 bool
	}{
		{"4.EdgeComputing", "EdgeComputing", "Edge Computing", 4, true},
		{"12.MQTTBroker", "MQTTBroker", "MQTT Broker", 12, true},
		{"mqtt_apis", "mqtt_apis", "mqtt apis", 0, false},
		{"MQTT", "MQTT", "MQTT", 0, false},
		{"v2.0", "v2.0", "v2.0", 0, false},
	}
	for _, tt := range tests {
		order, label, ok := splitOrder(tt.name)
		if order != tt.order || label != tt.label || ok != tt.ok {
			t.Errorf("splitOrder(%q) = %d, %q, %v", tt.name, order, label, ok)
		}
		if h := humanize(label); h != tt.human {
			t.Errorf("humanize(%q) = %q, want %q", label, h, tt.human)
		}
	}
}

func TestProblemString(t *testing.T) {
	if s := (Problem{File: "a/index.md", Line: 3, Message: "m"}).String(); s != "a/index.md:3: error: m" {
		t.Errorf("got %q", s)
	}
	if s := (Problem{File: "a/index.md", Severity: Warning, Message: "m"}).String(); s != "a/index.md: warning: m" {
		t.Errorf("got %q", s)
	}
}

func mapFS(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = file(kv[i+1])
	}
	return m
}

func TestCodeCSSHasLightAndDarkStyles(t *testing.T) {
	css := string(CodeCSS())
	i := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 || !strings.Contains(css[:i], ".chroma .k ") || !strings.Contains(css[i:], ".chroma .k ") {
		t.Errorf("CodeCSS lacks a light and a dark style:\n%s", css)
	}
}

// TestCodeCSSIsTheSameEveryTime: the stylesheet's URL holds a hash of its
// bytes, so it must not depend on map order (a cluster's nodes would each
// link another URL).
func TestCodeCSSIsTheSameEveryTime(t *testing.T) {
	first := codeCSSText()
	for range 20 {
		if codeCSSText() != first {
			t.Fatal("two renderings of the code stylesheet differ")
		}
	}
}
