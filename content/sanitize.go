package content

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// Raw HTML in a course is passed through bluemonday, so nothing an author writes
// (or pastes from elsewhere) can run script in a learner's page, which also holds
// their lab credentials. goldmark hands inline HTML over one tag at a time; each
// tag is sanitised alone, which is safe because a lone tag cannot open a script
// context the next Text node could fill (goldmark escapes text).
//
// A tag whose name is no HTML element is nearly always prose that looks like a
// tag (mqtt://host/devices/<device-id>/value): it is shown as written, and the
// author is told to use backticks.

var (
	kindSafeHTMLInline = ast.NewNodeKind("SafeHTMLInline")
	kindSafeHTMLBlock  = ast.NewNodeKind("SafeHTMLBlock")
)

// safeHTMLInline and safeHTMLBlock hold raw HTML after sanitising and rewriting.
type safeHTMLInline struct {
	ast.BaseInline
	html []byte
}

func (n *safeHTMLInline) Kind() ast.NodeKind { return kindSafeHTMLInline }
func (n *safeHTMLInline) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"HTML": string(n.html)}, nil)
}

type safeHTMLBlock struct {
	ast.BaseBlock
	html []byte
}

func (n *safeHTMLBlock) Kind() ast.NodeKind { return kindSafeHTMLBlock }
func (n *safeHTMLBlock) IsRaw() bool        { return true }
func (n *safeHTMLBlock) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"HTML": string(n.html)}, nil)
}

// newPolicy allows what course text needs (formatting, tables, images, links,
// <details>, <kbd>) and nothing that runs, embeds or submits: no script, style,
// iframe, object, embed or form, no on* attributes, no javascript: or data: URLs.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false) // instructors, not anonymous users, write courses
	p.AllowElements("details", "summary", "kbd", "sup", "sub", "span", "div", "mark",
		"figure", "figcaption", "abbr", "small", "u", "s", "del", "ins", "br", "hr", "center")
	p.AllowAttrs("open").OnElements("details")
	// Alt text is prose: UGCPolicy's pattern would drop one holding a colon.
	p.AllowAttrs("alt", "title").OnElements("img")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[A-Za-z0-9_ -]*$`)).
		OnElements("span", "div", "p", "code", "pre", "kbd", "table", "img", "figure", "center",
			"h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "ul", "ol", "li", "blockquote", "a")
	p.AllowAttrs("loading").Matching(regexp.MustCompile(`^(lazy|eager)$`)).OnElements("img")
	return p
}

// knownElements are the HTML element names; anything else in angle brackets is
// taken for text.
var knownElements = func() map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Fields(`a abbr address area article aside audio b base bdi bdo big
		blockquote body br button canvas caption center cite code col colgroup data datalist dd del
		details dfn dialog div dl dt em embed fieldset figcaption figure font footer form frame
		frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend
		li link main map mark marquee math menu meta meter nav noscript object ol optgroup option
		output p param picture pre progress q rp rt ruby s samp script search section select slot
		small source span strike strong style sub summary sup svg table tbody td template textarea
		tfoot th thead time title tr track tt u ul var video wbr`) {
		m[name] = true
	}
	return m
}()

// removedElements are known but never allowed; their removal is worth telling the
// author, who probably expected them to work.
var removedElements = map[string]string{
	"script": "pages do not run authors' scripts", "style": "course pages use the site's stylesheet",
	"iframe": "use <youtube>ID</youtube> for videos", "frame": "", "frameset": "",
	"object": "", "embed": "", "form": "quizzes are written with <quiz>", "input": "", "button": "",
	"textarea": "", "select": "", "link": "", "meta": "", "base": "", "svg": "use an image file (img/x.svg) instead",
}

// dialectMisuse explains the dialect's own tags where they cannot be parsed;
// the piece they were meant to make does not work, so these are Errors.
var dialectMisuse = map[string]string{
	"youtube":  "<youtube> must stand on a line of its own, as <youtube>VIDEO_ID</youtube>; it is shown as text",
	"alert":    "<alert> must start a line of its own and </alert> must end one; it is shown as text",
	"quiz":     "<quiz> must start a line of its own and </quiz> must end one; it is shown as text",
	"answer":   "<answer> only works on its own line inside a <quiz> … </quiz>; it is shown as text",
	"exercise": "<exercise> must start a line of its own and </exercise> must stand on a line of its own; it is shown as text",
	"hint":     "<hint> only works at the start of a line inside an <exercise> … </exercise>; it is shown as text",
	"solution": "<solution> only works on a line of its own inside an <exercise> … </exercise>; it is shown as text",
	"check":    "<check …/> only works on a line of its own inside an <exercise> … </exercise>; it is shown as text",
}

// note is a problem the sanitizer found in one piece of raw HTML.
type note struct {
	severity Severity
	msg      string
}

// sanitizer cleans raw HTML for one goldmark instance; bluemonday policies are
// safe for concurrent use once built.
type sanitizer struct {
	policy *bluemonday.Policy
}

// clean escapes unknown tags, sanitises, and rewrites URLs; notes lists what the
// author should hear about.
func (s *sanitizer) clean(raw []byte, c *courseContext) (safe []byte, notes []note) {
	var b bytes.Buffer
	seen := map[string]bool{}
	z := html.NewTokenizer(bytes.NewReader(raw))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				b.Write(z.Raw())
			}
			break
		}
		rawTok := z.Raw()
		if tt == html.StartTagToken || tt == html.EndTagToken || tt == html.SelfClosingTagToken {
			name, hasAttr := z.TagName()
			n := string(name)
			if tt != html.EndTagToken && hasAttr && knownElements[n] {
				rawTok = s.rewriteTag(z, n, tt, rawTok, c)
			}
			if tt == html.EndTagToken && n == "figure" && c.figuresOpen > 0 {
				// The figure was written whole when it opened.
				c.figuresOpen--
				continue
			}
			switch {
			case !knownElements[n]:
				b.WriteString(html.EscapeString(string(rawTok)))
				if !seen[n] {
					seen[n] = true
					if msg, ok := dialectMisuse[n]; ok {
						notes = append(notes, note{Error, msg})
					} else {
						notes = append(notes, note{Warning, "<" + n + "> is not an HTML tag, so it is shown as text; put it in backticks (`<" + n + ">`) to show it as code"})
					}
				}
				continue
			case tt != html.EndTagToken && !seen[n]:
				if why, ok := removedElements[n]; ok {
					seen[n] = true
					msg := "<" + n + "> is removed: course pages cannot contain it"
					if why != "" {
						msg += " (" + why + ")"
					}
					notes = append(notes, note{Warning, msg + "; to show it as code, put it in a fenced code block"})
				}
			}
		}
		b.Write(rawTok)
	}
	return s.rewriteURLs(s.policy.SanitizeBytes(b.Bytes()), c, &notes), notes
}

// alignRE reads the one inline style kept, as a class: text-align.
var alignRE = regexp.MustCompile(`(?i)text-align\s*:\s*(center|right|left|justify)`)

// rewriteTag rewrites the start tag z holds, whose attributes have not been
// read yet: <figure src=… caption=…> (the dialect's figure) becomes a figure
// with its picture and caption, and style="text-align:center" becomes the
// class text-center (no other inline style passes the sanitiser). Other tags
// are returned as they were.
func (s *sanitizer) rewriteTag(z *html.Tokenizer, name string, tt html.TokenType, raw []byte, c *courseContext) []byte {
	var attrs []html.Attribute
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		attrs = append(attrs, html.Attribute{Key: string(k), Val: string(v)})
	}
	get := func(key string) (string, bool) {
		for _, a := range attrs {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	if src, ok := get("src"); ok && name == "figure" {
		caption, _ := get("caption")
		alt, _ := get("alt")
		if alt == "" {
			alt = caption
		}
		if tt == html.StartTagToken {
			c.figuresOpen++
		}
		var b strings.Builder
		b.WriteString(`<figure class="figure"><img src="` + html.EscapeString(src) + `" alt="` + html.EscapeString(alt) + `">`)
		if caption != "" {
			b.WriteString("<figcaption>" + html.EscapeString(caption) + "</figcaption>")
		}
		b.WriteString("</figure>")
		return []byte(b.String())
	}
	style, ok := get("style")
	m := alignRE.FindStringSubmatch(style)
	if !ok || m == nil {
		return raw
	}
	tok := html.Token{Type: tt, Data: name}
	class := "text-" + strings.ToLower(m[1])
	for _, a := range attrs {
		switch a.Key {
		case "style":
			continue
		case "class":
			class = a.Val + " " + class
			continue
		}
		tok.Attr = append(tok.Attr, a)
	}
	tok.Attr = append(tok.Attr, html.Attribute{Key: "class", Val: class})
	return []byte(tok.String())
}

// rewriteURLs resolves relative href and src in sanitised HTML as for Markdown
// links, so <img src="img/x.png" width="300"> works like ![](img/x.png).
func (s *sanitizer) rewriteURLs(safe []byte, c *courseContext, notes *[]note) []byte {
	if !bytes.Contains(safe, []byte("href=")) && !bytes.Contains(safe, []byte("src=")) {
		return safe
	}
	var b bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(safe))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		tok := z.Token()
		changed, external, hasRel := false, false, false
		attrs := tok.Attr[:0]
		for _, a := range tok.Attr {
			if a.Key == "rel" {
				hasRel = true
			}
			if (a.Key == "href" && tok.Data == "a") || (a.Key == "src" && tok.Data == "img") {
				r := c.resolve(a.Val, a.Key == "src")
				if r.problem != "" {
					*notes = append(*notes, note{Error, r.problem})
				}
				if r.warning != "" {
					*notes = append(*notes, note{Warning, r.warning})
				}
				changed = true
				if r.drop {
					continue
				}
				a.Val, external = r.url, r.external
			}
			attrs = append(attrs, a)
		}
		tok.Attr = attrs
		if tok.Data == "a" && external && !hasRel {
			tok.Attr = append(tok.Attr, html.Attribute{Key: "rel", Val: "noopener"})
		}
		if tok.Data == "img" && changed {
			tok.Attr = append(tok.Attr, html.Attribute{Key: "loading", Val: "lazy"})
		}
		if changed {
			b.WriteString(tok.String())
		} else {
			b.Write(z.Raw())
		}
	}
	return b.Bytes()
}

// sanitizeTransformer replaces every raw HTML node by its safe version.
type sanitizeTransformer struct{ s *sanitizer }

func (t sanitizeTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	c := courseOf(pc)
	source := reader.Source()
	var raws []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.RawHTML, *ast.HTMLBlock:
			if entering {
				raws = append(raws, n)
			}
		case *shortcodeNode:
			if entering && n.sc.name == "figure" && !n.sc.closing {
				raws = append(raws, n)
			}
		case *shortcodeInline:
			if entering && n.sc.name == "figure" && !n.sc.closing {
				raws = append(raws, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range raws {
		var safe []ast.Node
		var notes []note
		off := nodeOffset(n)
		switch n := n.(type) {
		case *ast.RawHTML:
			h, ns := t.s.clean(n.Segments.Value(source), c)
			safe, notes = []ast.Node{&safeHTMLInline{html: h}}, ns
		case *ast.HTMLBlock:
			h, ns := t.s.clean(htmlBlockSource(n, source), c)
			sb := &safeHTMLBlock{html: h}
			sb.SetBlankPreviousLines(n.HasBlankPreviousLines())
			safe, notes = []ast.Node{sb}, ns
		case *shortcodeNode:
			h, ns := t.s.clean([]byte(n.sc.figureHTML()), c)
			safe, notes = []ast.Node{&safeHTMLBlock{html: h}}, ns
		case *shortcodeInline:
			h, ns := t.s.clean([]byte(n.sc.figureHTML()), c)
			safe, notes = []ast.Node{&safeHTMLInline{html: h}}, ns
		}
		for _, nt := range notes {
			c.report(nt.severity, off, nt.msg)
		}
		n.Parent().ReplaceChild(n.Parent(), n, safe[0])
	}
}

func htmlBlockSource(n *ast.HTMLBlock, source []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < n.Lines().Len(); i++ {
		s := n.Lines().At(i)
		b.Write(s.Value(source))
	}
	if n.HasClosure() {
		b.Write(n.ClosureLine.Value(source))
	}
	return b.Bytes()
}

// sanitizeRenderer writes safe HTML, and is the safety net for raw HTML nodes that
// did not go through the transformer: those are sanitised without URL rewriting.
type sanitizeRenderer struct{ s *sanitizer }

func (r sanitizeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindSafeHTMLInline, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.Write(n.(*safeHTMLInline).html)
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindSafeHTMLBlock, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			h := n.(*safeHTMLBlock).html
			_, _ = w.Write(h)
			if len(h) > 0 && h[len(h)-1] != '\n' {
				_ = w.WriteByte('\n')
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.Write(r.s.policy.SanitizeBytes(n.(*ast.RawHTML).Segments.Value(source)))
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.Write(r.s.policy.SanitizeBytes(htmlBlockSource(n.(*ast.HTMLBlock), source)))
		}
		return ast.WalkSkipChildren, nil
	})
}

func extendSanitize(m goldmark.Markdown) {
	s := &sanitizer{policy: newPolicy()}
	m.Parser().AddOptions(parser.WithASTTransformers(prioritized(sanitizeTransformer{s}, prioSanitize)))
	addRenderer(m, sanitizeRenderer{s})
}
