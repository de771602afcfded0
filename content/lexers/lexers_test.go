package lexers

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	chromalexers "github.com/alecthomas/chroma/v2/lexers"
)

// TestLexersMatchChroma proves that every name and alias of every copied
// lexer finds, here, the lexer chroma's own registry finds for it, and
// that both tokenise a sample the same way, so a copied file cannot drift
// from the chroma version in go.mod.
func TestLexersMatchChroma(t *testing.T) {
	names := Names()
	if len(names) < 40 {
		t.Fatalf("only %d lexers registered: %v", len(names), names)
	}
	for _, name := range names {
		ours := Get(name)
		cfg := ours.Config()
		for _, key := range append([]string{cfg.Name}, cfg.Aliases...) {
			theirs := chromalexers.Get(key)
			if theirs == nil {
				t.Errorf("%q: chroma has no such lexer", key)
				continue
			}
			if got := Get(key).Config().Name; got != theirs.Config().Name {
				t.Errorf("Get(%q) = %s, chroma's = %s", key, got, theirs.Config().Name)
			}
		}
		sample := "x = 1 # <b>\n\"s\" `t` if (a) { return; }\n"
		if a, b := tokens(t, ours, sample), tokens(t, chromalexers.Get(cfg.Name), sample); a != b {
			t.Errorf("%s tokenises differently from chroma's:\n ours   %s\n chroma %s", cfg.Name, a, b)
		}
	}
}

func tokens(t *testing.T, l chroma.Lexer, text string) string {
	t.Helper()
	it, err := l.Tokenise(nil, text)
	if err != nil {
		t.Fatalf("%s: %v", l.Config().Name, err)
	}
	var b strings.Builder
	for _, tok := range it.Tokens() {
		b.WriteString(tok.Type.String() + ":" + tok.Value + " ")
	}
	return b.String()
}

// TestEmbeddedLanguagesResolve proves that every lexer another one hands
// text to (HTML to CSS and JavaScript, shells to Bash…) was copied too:
// chroma panics when it highlights such a block otherwise.
func TestEmbeddedLanguagesResolve(t *testing.T) {
	using := regexp.MustCompile(`using lexer="([^"]+)"`)
	paths, err := fs.Glob(embedded, "embedded/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		b, err := fs.ReadFile(embedded, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range using.FindAllStringSubmatch(string(b), -1) {
			if Get(m[1]) == nil {
				t.Errorf("%s hands text to %q, which is not here", path, m[1])
			}
		}
	}
	html := "<p style=\"color: red\">x</p><script>let a = 1;</script><style>p { color: red }</style>"
	if got := tokens(t, Get("html"), html); got != tokens(t, chromalexers.Get("html"), html) {
		t.Errorf("HTML with CSS and JavaScript tokenises differently from chroma's: %s", got)
	}
}

func TestUnknownLanguageIsNil(t *testing.T) {
	for _, name := range []string{"", "mermaid", "no-such-language"} {
		if l := Get(name); l != nil {
			t.Errorf("Get(%q) = %s, want nil", name, l.Config().Name)
		}
	}
}

// TestAuthoringGuideListsLanguagesWeHave proves that every language the
// authoring guide promises to highlight has a lexer here.
func TestAuthoringGuideListsLanguagesWeHave(t *testing.T) {
	doc, err := os.ReadFile("../../docs/AUTHORING.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "Highlighted languages")
	if !ok {
		t.Fatal("docs/AUTHORING.md no longer lists the highlighted languages")
	}
	para, _, _ := strings.Cut(rest, "\n\n")
	names := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(para, -1)
	if len(names) < 20 {
		t.Fatalf("found only %d languages in %q", len(names), para)
	}
	for _, m := range names {
		if Get(m[1]) == nil {
			t.Errorf("the guide lists %q, which has no lexer here", m[1])
		}
	}
}
