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

// writeCode highlights code in lang (plain if lang is empty or unknown) inside the
// wrapper, for code that is not a fenced block (HTML documents, indented code).
func writeCode(w util.BufWriter, lang string, code []byte) {
	var lexer chroma.Lexer
	if lang != "" {
		lexer = lexers.Get(lang)
	}
	if lexer != nil {
		if it, err := chroma.Coalesce(lexer).Tokenise(nil, string(code)); err == nil {
			writeCodeStart(w, []byte(lang), false)
			_ = sharedFormatter().Format(w, style(lightStyle), it)
			writeCodeEnd(w, false)
			return
		}
	}
	writeCodeStart(w, []byte(lang), true)
	_, _ = w.Write(util.EscapeHTML(code))
	writeCodeEnd(w, true)
}

type indentedCodeRenderer struct{}

func (indentedCodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindCodeBlock, renderIndentedCode)
	reg.Register(ast.KindFencedCodeBlock, renderFencedCode)
}

// renderFencedCode highlights a fenced block in the language of its info
// string (its first word).
func renderFencedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		s := n.Lines().At(i)
		code.Write(s.Value(source))
	}
	writeCode(w, string(n.Language(source)), code.Bytes())
	return ast.WalkSkipChildren, nil
}

func renderIndentedCode(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	var code bytes.Buffer
	for i := 0; i < node.Lines().Len(); i++ {
		s := node.Lines().At(i)
		code.Write(s.Value(source))
	}
	writeCode(w, "", code.Bytes())
	return ast.WalkSkipChildren, nil
}

func extendCode(m goldmark.Markdown) {
	addRenderer(m, indentedCodeRenderer{})
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
