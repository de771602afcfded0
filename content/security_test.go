package content

import (
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/net/html"
)

// renderBody loads one course whose body is md and returns its HTML (all
// sections) and problems.
func renderBody(t *testing.T, md string, files fstest.MapFS) (string, []Problem) {
	t.Helper()
	fsys := fstest.MapFS{"demo/index.md": {Data: []byte("---\ntitle: Demo\n---\n" + md)}}
	for name, f := range files {
		fsys["demo/"+name] = f
	}
	cat := Load(fsys, Options{})
	if len(cat.Courses) != 1 {
		t.Fatalf("want 1 course, got %d: %v", len(cat.Courses), cat.Problems)
	}
	var b strings.Builder
	for _, s := range cat.Courses[0].Sections {
		b.WriteString(string(s.HTML))
	}
	return b.String(), cat.Problems
}

// assertSafe fails if the HTML could run script: script-like elements, event
// handler attributes, or javascript:/vbscript:/data: URLs (other than images).
func assertSafe(t *testing.T, name, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "object", "embed", "frame", "frameset", "base", "meta", "link", "svg", "math":
			t.Errorf("%s: output has <%s>:\n%s", name, tok.Data, out)
		case "iframe":
			for _, a := range tok.Attr {
				if a.Key == "src" && !strings.HasPrefix(a.Val, "https://www.youtube-nocookie.com/embed/") {
					t.Errorf("%s: output has an iframe to %q", name, a.Val)
				}
			}
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: output has attribute %s on <%s>", name, a.Key, tok.Data)
			}
			if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:text") {
				t.Errorf("%s: output has %s=%q on <%s>", name, a.Key, a.Val, tok.Data)
			}
		}
	}
}

func TestNothingInContentCanRunScript(t *testing.T) {
	// strict cases must not even mention script in text; the others (escaped
	// attribute values, HTML shown as code) show it as harmless text.
	tests := []struct {
		name, md string
		text     bool
	}{
		{"script block", "<script>alert(1)</script>\n", false},
		{"script inline", "Hello <script>alert(1)</script> world\n", false},
		{"img onerror block", "<img src=x onerror=alert(1)>\n", false},
		{"img onerror inline", "Look: <img src=x onerror=alert(1)> here\n", false},
		{"a javascript href", `<a href="javascript:alert(1)">x</a>` + "\n", false},
		{"a javascript href inline", `Click <a href="javascript:alert(1)">x</a> now` + "\n", false},
		{"a mixed-case javascript href", `<a href="JaVaScRiPt:alert(1)">x</a>` + "\n", false},
		{"a entity javascript href", `<a href="&#106;avascript:alert(1)">x</a>` + "\n", false},
		{"iframe", `<iframe src="https://evil.example.com"></iframe>` + "\n", false},
		{"svg onload", "<svg onload=alert(1)>\n", false},
		{"svg onload inline", "x <svg onload=alert(1)> y\n", false},
		{"markdown javascript link", "[x](javascript:alert(1))\n", false},
		{"markdown mixed-case javascript link", "[x](JaVaScRiPt:alert(1))\n", false},
		{"markdown entity javascript link", "[x](&#106;avascript:alert(1))\n", false},
		{"markdown javascript image", "![x](javascript:alert(1))\n", false},
		{"markdown javascript reference", "[x][r]\n\n[r]: javascript:alert(1)\n", false},
		{"data html link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n", false},
		{"style block", "<style>body{display:none}</style>\n", false},
		{"object", `<object data="x.swf"></object>` + "\n", false},
		{"form", `<form action="https://evil.example.com"><input name=p></form>` + "\n", false},
		{"event handler on safe tag", `<details open ontoggle=alert(1)><summary>x</summary></details>` + "\n", false},
		{"inside alert", "<alert type=\"info\">\n<script>alert(1)</script>\n</alert>\n", false},
		{"inside quiz answer", "<quiz id=\"q\" title=\"t\">\n<answer right><img src=x onerror=alert(1)></answer>\n</quiz>\n", false},
		{"youtube id injection", "<youtube>\"><script>alert(1)</script></youtube>\n", true},
		{"alert type injection", "<alert type='\"><script>alert(1)</script>'>\nx\n</alert>\n", true},
		{"quiz id injection", "<quiz id='\"><script>alert(1)</script>' title='\"><img src=x onerror=alert(1)>'>\n<answer right>a</answer>\n</quiz>\n", true},
		{"code language injection", "```\"><script>alert(1)</script>\ncode\n```\n", true},
		{"html document", "<!DOCTYPE html>\n<html><body onload=alert(1)><script>alert(1)</script></body>\n</html>\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := renderBody(t, "# Test\n\n"+tt.md, nil)
			assertSafe(t, tt.name, out)
			if tt.text {
				return
			}
			lower := strings.ToLower(out)
			for _, bad := range []string{"<script", "onerror", "onload", "javascript:", "<iframe", "<style", "ontoggle"} {
				if strings.Contains(lower, bad) {
					t.Errorf("output contains %q:\n%s", bad, out)
				}
			}
		})
	}
}
