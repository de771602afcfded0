package content

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Hugo shortcodes are in the text of course trees written for a Hugo site:
// {{< youtube id="ID" >}}, {{< youtube ID >}}, {{< figure src="…" caption="…" >}}
// and the site's own, {{< name … >}} or {{% name %}}. youtube and figure are
// what their tags are; any other is shown as a visible note (never raw braces)
// and is a warning, since what the site would have put there is missing. A
// shortcode inside an HTML comment stays hidden, as the comment does.

var kindShortcode = ast.NewNodeKind("Shortcode")

// shortcodeRE matches one shortcode: its delimiter, a closing slash, its name
// and its arguments.
var shortcodeRE = regexp.MustCompile(`^\{\{([<%])\s*(/?)\s*([A-Za-z][\w.-]*)((?:\s+(?:[\w-]+\s*=\s*)?(?:"[^"]*"|'[^']*'|[^\s"'>%]+))*)\s*/?\s*[>%]\}\}`)

// shortcodeArgRE matches one argument: name="value", name=value, "value" or
// value.
var shortcodeArgRE = regexp.MustCompile(`(?:([\w-]+)\s*=\s*)?(?:"([^"]*)"|'([^']*)'|([^\s"']+))`)

// shortcode is one parsed shortcode.
type shortcode struct {
	name    string
	closing bool
	named   map[string]string
	plain   []string // positional arguments
}

func parseShortcode(b []byte) (shortcode, int, bool) {
	m := shortcodeRE.FindSubmatchIndex(b)
	if m == nil {
		return shortcode{}, 0, false
	}
	sc := shortcode{name: strings.ToLower(string(b[m[6]:m[7]])), closing: m[5] > m[4], named: map[string]string{}}
	for _, a := range shortcodeArgRE.FindAllSubmatch(b[m[8]:m[9]], -1) {
		val := string(a[2]) + string(a[3]) + string(a[4])
		if len(a[1]) > 0 {
			sc.named[strings.ToLower(string(a[1]))] = val
		} else {
			sc.plain = append(sc.plain, val)
		}
	}
	return sc, m[1], true
}

// arg is the named argument, or the positional one at i.
func (s shortcode) arg(name string, i int) string {
	if v, ok := s.named[name]; ok {
		return v
	}
	if i >= 0 && i < len(s.plain) {
		return s.plain[i]
	}
	return ""
}

type shortcodeNode struct {
	ast.BaseBlock
	sc    shortcode
	video video
	block bool
}

func (n *shortcodeNode) Kind() ast.NodeKind { return kindShortcode }
func (n *shortcodeNode) IsRaw() bool        { return true }
func (n *shortcodeNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Name": n.sc.name}, nil)
}

// shortcodeInline is a shortcode in the middle of a line of text.
type shortcodeInline struct {
	ast.BaseInline
	sc    shortcode
	video video
}

func (n *shortcodeInline) Kind() ast.NodeKind { return kindShortcode }
func (n *shortcodeInline) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Name": n.sc.name}, nil)
}

// figureHTML is a figure shortcode as the <figure src=… caption=…> tag it
// stands for; the sanitiser turns both into the same safe markup.
func (sc shortcode) figureHTML() string {
	return `<figure src="` + attrEscape(sc.arg("src", 0)) + `" caption="` + attrEscape(sc.arg("caption", -1)) +
		`" alt="` + attrEscape(sc.arg("alt", -1)) + `"/>`
}

func attrEscape(s string) string { return string(util.EscapeHTML([]byte(s))) }

// check reports what the author must hear about a shortcode.
func (sc shortcode) check(c *courseContext, v video, pos int) {
	switch sc.name {
	case "youtube":
		if !sc.closing {
			v.report(c, pos)
		}
	case "figure":
		if sc.arg("src", 0) == "" {
			c.warningAt(pos, `{{< figure >}} has no src, so no picture is shown; write {{< figure src="img/picture.png" caption="…" >}}`)
		}
	default:
		if !sc.closing {
			c.warningAt(pos, "the shortcode {{< %s >}} belongs to the Hugo site this text was written for; it is shown as a note saying what is missing: replace it with Markdown (a link, an image, an <alert>)", sc.name)
		}
	}
}

// videoOf reads a youtube shortcode's video: {{< youtube ID >}} or
// {{< youtube id="ID" start="72" >}}.
func (sc shortcode) videoOf() video {
	v := parseVideo(sc.arg("id", 0))
	if n, ok := seconds(sc.named["start"]); ok {
		v.start = n
	}
	if n, ok := seconds(sc.named["end"]); ok {
		v.end = n
	}
	return v
}

type shortcodeBlockParser struct{}

func (shortcodeBlockParser) Trigger() []byte { return []byte{'{'} }

func (shortcodeBlockParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	sc, end, ok := parseShortcode(line)
	if !ok || len(util.TrimRightSpace(line[end:])) != 0 {
		return nil, parser.NoChildren
	}
	c := courseOf(pc)
	n := &shortcodeNode{sc: sc, block: true}
	if sc.name == "youtube" {
		n.video = sc.videoOf()
	}
	sc.check(c, n.video, seg.Start)
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}

func (shortcodeBlockParser) Continue(ast.Node, text.Reader, parser.Context) parser.State {
	return parser.Close
}
func (shortcodeBlockParser) Close(ast.Node, text.Reader, parser.Context) {}
func (shortcodeBlockParser) CanInterruptParagraph() bool                 { return true }
func (shortcodeBlockParser) CanAcceptIndentedLine() bool                 { return false }

type shortcodeInlineParser struct{}

func (shortcodeInlineParser) Trigger() []byte { return []byte{'{'} }

func (shortcodeInlineParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	sc, end, ok := parseShortcode(line)
	if !ok {
		return nil
	}
	n := &shortcodeInline{sc: sc}
	if sc.name == "youtube" {
		n.video = sc.videoOf()
	}
	c := courseOf(pc)
	sc.check(c, n.video, seg.Start)
	block.Advance(end)
	return n
}

type shortcodeRenderer struct{}

func (shortcodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindShortcode, renderShortcode)
}

func renderShortcode(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	var sc shortcode
	var v video
	block := false
	switch n := node.(type) {
	case *shortcodeNode:
		sc, v, block = n.sc, n.video, true
	case *shortcodeInline:
		sc, v = n.sc, n.video
	}
	switch {
	case sc.closing:
		// The text between an unknown pair still shows; its end says nothing.
	case sc.name == "youtube" && block:
		writeVideo(w, v, sc.named["title"])
	case sc.name == "youtube" && v.valid():
		_, _ = w.WriteString(`<a href="https://www.youtube.com/watch?v=` + v.videoID + `" rel="noopener">Watch on YouTube</a>`)
	case sc.name == "figure":
		// The sanitiser replaced it with the figure; a figure without a
		// source shows nothing.
	default:
		tag := "span"
		if block {
			tag = "p"
		}
		_, _ = w.WriteString("<" + tag + ` class="shortcode-missing" role="note">Not shown here: the site’s “`)
		_, _ = w.Write(util.EscapeHTML([]byte(sc.name)))
		_, _ = w.WriteString("” element.</" + tag + ">")
		if block {
			_ = w.WriteByte('\n')
		}
	}
	return ast.WalkSkipChildren, nil
}

func extendShortcodes(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(prioritized(shortcodeBlockParser{}, prioBlockParser)),
		parser.WithInlineParsers(prioritized(shortcodeInlineParser{}, 150)),
	)
	addRenderer(m, shortcodeRenderer{})
}
