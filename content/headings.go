package content

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Every heading gets an id, unique in the whole course (not just the section), so
// that a level-1 heading's id doubles as its section's slug and any heading can be
// linked as course/section#id without clashes when sections are merged or split.

// headingIDs implements goldmark's parser.IDs: "Title", "Title" → "title",
// "title-2", the way people number duplicates (goldmark's own would say "title-1").
type headingIDs struct {
	seen map[string]bool
}

func newHeadingIDs() *headingIDs { return &headingIDs{seen: map[string]bool{}} }

// Generate returns a fresh id for a heading text.
func (s *headingIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	base := slugify(string(value))
	if base == "" {
		base = "section"
	}
	id := base
	for i := 2; s.seen[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	s.seen[id] = true
	return []byte(id)
}

// Put reserves an id given explicitly by the author.
func (s *headingIDs) Put(value []byte) { s.seen[string(value)] = true }

// slugify keeps letters and digits (any script, lower-cased), turns runs of
// anything else into one "-", and drops Markdown punctuation such as backticks.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r == '`' || r == '*' || r == '\'' || r == '\u2019':
			// Markup and apostrophes vanish: "Don't" → "dont".
		default:
			dash = true
		}
	}
	return b.String()
}

type headingRenderer struct{}

func (headingRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
}

// renderHeading adds a small "#" link after level-2+ headings, so a reader can copy
// a link to that spot; the level-1 heading is the page itself.
func renderHeading(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	if entering {
		_, _ = fmt.Fprintf(w, "<h%d", n.Level)
		if n.Attributes() != nil {
			html.RenderAttributes(w, node, html.HeadingAttributeFilter)
		}
		_ = w.WriteByte('>')
		return ast.WalkContinue, nil
	}
	if id, ok := n.AttributeString("id"); ok && n.Level > 1 {
		if b, ok := id.([]byte); ok {
			_, _ = w.WriteString(` <a class="anchor" href="#`)
			_, _ = w.Write(util.EscapeHTML(b))
			_, _ = w.WriteString(`" aria-label="Link to this heading">#</a>`)
		}
	}
	_, _ = fmt.Fprintf(w, "</h%d>\n", n.Level)
	return ast.WalkContinue, nil
}

func extendHeadings(m goldmark.Markdown) {
	addRenderer(m, headingRenderer{})
}
