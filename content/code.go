package content

import (
	"bytes"
	"embed"
	"slices"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/courselab/courselab/content/lexers"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// Code is highlighted on the server with CSS classes (no inline styles, so the
// page's stylesheet decides light or dark, see CodeCSS). Every code block, with a
// language or not, comes out as
//
//	<div class="code" data-lang="js"><pre class="chroma"><code>…</code></pre></div>
//
// so the page script can add one copy button to every div.code.

// lightStyle and darkStyle are the chroma styles of CodeCSS.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// codeStyles holds the two styles, copied from chroma v2.27.0's styles
// folder (MIT licence, github.com/alecthomas/chroma). Importing chroma's
// styles package would parse all of its 70 styles when the program starts
// (6 ms of every start, issue 11); these two are parsed the first time code
// is highlighted.
//
//go:embed codestyles/*.xml
var codeStyles embed.FS

// style returns one of the two styles by name.
func style(name string) *chroma.Style {
	if name == darkStyle {
		return styleDark()
	}
	return styleLight()
}

var styleLight, styleDark = sync.OnceValue(loadStyle(lightStyle)), sync.OnceValue(loadStyle(darkStyle))

func loadStyle(name string) func() *chroma.Style {
	return func() *chroma.Style {
		f, err := codeStyles.Open("codestyles/" + name + ".xml")
		if err != nil {
			panic(err) // embedded: a test loads both
		}
		defer f.Close()
		s, err := chroma.NewXMLStyle(f)
		if err != nil {
			panic(err)
		}
		return s
	}
}

func codeFormatter() *chromahtml.Formatter {
	return chromahtml.New(chromahtml.WithClasses(true))
}

// sharedFormatter formats every code block: a chroma formatter computes its
// style's CSS classes once and keeps them, a third of a tree's render time
// when each block made its own. It is safe for concurrent use.
var sharedFormatter = sync.OnceValue(codeFormatter)

// writeCodeStart opens the wrapper; pre says whether to open <pre><code> too,
// which chroma writes itself for highlighted code.
func writeCodeStart(w util.BufWriter, lang []byte, pre bool) {
	_, _ = w.WriteString(`<div class="code"`)
	if len(lang) > 0 {
		_, _ = w.WriteString(` data-lang="`)
		_, _ = w.Write(util.EscapeHTML(lang))
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	if pre {
		_, _ = w.WriteString(`<pre class="chroma"><code>`)
	}
}

func writeCodeEnd(w util.BufWriter, pre bool) {
	if pre {
		_, _ = w.WriteString(`</code></pre>`)
	}
	_, _ = w.WriteString("</div>\n")
}

// highlighter writes code blocks, and remembers what chroma made of each
// (language, code) it highlighted: the same blocks are highlighted again
// for every set of lab values a course is rendered with (at load, to find
// the sections that use placeholders, and then once per learner in a
// classroom), and chroma's tokeniser was most of a catalog's render time
// and allocations (issue 11: start). One highlighter belongs to one
// goldmark instance, that is to one load of the catalog; it is safe for
// concurrent use.
type highlighter struct {
	mu   sync.Mutex
	html map[string][]byte // lang + "\x00" + code → highlighted HTML
	size int               // bytes of keys and values in html
}

// highlightMemoBytes bounds what a highlighter remembers. A course tree's
// code is normally far less; past it, the memo starts again empty.
const highlightMemoBytes = 4 << 20

func newHighlighter() *highlighter { return &highlighter{html: map[string][]byte{}} }

// write highlights code in lang (plain if lang is empty or unknown) inside
// the wrapper.
func (h *highlighter) write(w util.BufWriter, lang string, code []byte) {
	if lang != "" {
		if html, ok := h.highlighted(lang, code); ok {
			writeCodeStart(w, []byte(lang), false)
			_, _ = w.Write(html)
			writeCodeEnd(w, false)
			return
		}
	}
	writeCodeStart(w, []byte(lang), true)
	_, _ = w.Write(util.EscapeHTML(code))
	writeCodeEnd(w, true)
}

// highlighted returns chroma's HTML for code in lang, from the memo when
// it can; false if chroma has no lexer for lang or cannot tokenise code.
func (h *highlighter) highlighted(lang string, code []byte) ([]byte, bool) {
	key := lang + "\x00" + string(code)
	h.mu.Lock()
	html, ok := h.html[key]
	h.mu.Unlock()
	if ok {
		return html, html != nil
	}
	html = highlight(lang, code)
	h.mu.Lock()
	if prev, ok := h.html[key]; ok { // highlighted meanwhile by another render
		h.mu.Unlock()
		return prev, prev != nil
	}
	if h.size+len(key)+len(html) > highlightMemoBytes {
		clear(h.html)
		h.size = 0
	}
	h.html[key] = html
	h.size += len(key) + len(html)
	h.mu.Unlock()
	return html, html != nil
}

// highlight is chroma's HTML for code in lang, or nil.
func highlight(lang string, code []byte) []byte {
	lexer := lexers.Get(lang)
	if lexer == nil {
		return nil
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, string(code))
	if err != nil {
		return nil
	}
	var b bytes.Buffer
	if err := sharedFormatter().Format(&b, style(lightStyle), it); err != nil {
		return nil
	}
	return b.Bytes()
}

// codeRenderer renders fenced and indented code blocks.
type codeRenderer struct{ h *highlighter }

func (r codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindCodeBlock, r.renderIndented)
	reg.Register(ast.KindFencedCodeBlock, r.renderFenced)
}

// renderFenced highlights a fenced block in the language of its info
// string (its first word).
func (r codeRenderer) renderFenced(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	r.h.write(w, string(n.Language(source)), blockLines(source, n))
	return ast.WalkSkipChildren, nil
}

func (r codeRenderer) renderIndented(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	r.h.write(w, "", blockLines(source, node))
	return ast.WalkSkipChildren, nil
}

// blockLines is the text of a block node, its lines joined.
func blockLines(source []byte, node ast.Node) []byte {
	var code bytes.Buffer
	lines := node.Lines()
	for i := 0; i < lines.Len(); i++ {
		s := lines.At(i)
		code.Write(s.Value(source))
	}
	return code.Bytes()
}

func extendCode(m goldmark.Markdown, h *highlighter) {
	addRenderer(m, codeRenderer{h})
}

// CodeCSS returns the stylesheet for highlighted code: the light style, and the
// dark one inside @media (prefers-color-scheme: dark), so code follows the
// system's colour scheme like the rest of the page. Serve it as text/css.
func CodeCSS() []byte {
	return bytes.Clone(codeCSS())
}

var codeCSS = sync.OnceValue(func() []byte { return []byte(codeCSSText()) })

func codeCSSText() string {
	var b bytes.Buffer
	f := codeFormatter()
	b.WriteString("/* Code highlighting: chroma " + lightStyle + " and " + darkStyle + " styles. */\n")
	_ = f.WriteCSS(&b, style(lightStyle))
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	dark := style(darkStyle)
	writeDarkInherits(&b, style(lightStyle))
	_ = f.WriteCSS(&b, dark)
	b.WriteString("}\n")
	return b.String()
}

// writeDarkInherits starts the dark rules with one for every token class
// the light style colours: the token takes the colour of the text around
// it, unless a dark rule (written after) colours it. Without it a class the
// dark style leaves to its parent keeps the light style's dark ink on the
// dark background.
//
// The types are sorted: chroma lists them in map order, and the stylesheet's
// URL carries a hash of its bytes, which must be the same on every start
// and every node of a cluster.
func writeDarkInherits(b *bytes.Buffer, light *chroma.Style) {
	types := light.Types()
	slices.Sort(types)
	for _, tt := range types {
		class, ok := chroma.StandardTypes[tt]
		if !ok || class == "" || !light.Get(tt).Colour.IsSet() {
			continue
		}
		b.WriteString(".chroma ." + class + " { color: inherit }\n")
	}
}
