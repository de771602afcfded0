package content

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown builds the goldmark instance for the course dialect. It is stateless
// between documents (per-course state travels in the parser.Context), so one
// instance renders a whole tree.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			// GFM, with table alignment as align="…" rather than style="…", so the
			// pages can keep a Content-Security-Policy without inline styles.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough, extension.Linkify, extension.TaskList,
			Dialect,
		),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
}

// Dialect is the goldmark extension for the course dialect: <youtube>, <alert>,
// <quiz>, <exercise>, unfenced HTML documents, highlighted code, heading anchors, link and
// image rewriting and raw HTML sanitising. Load uses it beside the GFM
// extensions; used alone, its problems go to a throwaway course context.
var Dialect goldmark.Extender = dialect{}

type dialect struct{}

// Extend registers every part of the dialect.
func (dialect) Extend(m goldmark.Markdown) {
	extendYouTube(m)
	extendShortcodes(m)
	extendAlert(m)
	extendQuiz(m)
	extendExercise(m)
	// One memo of highlighted code per goldmark instance: see highlighter.
	h := newHighlighter()
	extendHTMLDocument(m, h)
	extendCode(m, h)
	extendHeadings(m)
	extendLinks(m)
	extendSanitize(m)
}

// Priorities: our block parsers run before goldmark's HTML block parser (900) so
// that our tags are not swallowed as raw HTML; our renderers override the
// defaults (1000); transformers run structure first (alert, quiz), then links,
// then sanitising, which must see the final tree.
const (
	prioBlockParser    = 850
	prioRenderer       = 100
	prioStructure      = 100
	prioLinks          = 200
	prioSanitize       = 300
	prioHTMLDocProblem = 400
)

// courseContext is the per-document state the parsers, transformers and renderers
// share: where the document comes from, and the problems found in it.
type courseContext struct {
	file          string
	lineOffset    int    // lines of front matter before the body
	lineStarts    []int  // offsets in the body where each line starts
	courseID      string // "" for a page that is not a course
	base          string // URL of the document's folder: /courses/ID, /resources/a/b
	dir           string // the document's folder in the site's fs.FS, for links out of it
	site          *siteIndex
	files         fs.FS // the document's folder; nil skips file existence checks
	problems      []Problem
	quizIDs       map[string]bool
	quizCount     int
	exerciseIDs   map[string]bool
	exerciseCount int
	// figuresOpen counts <figure src=…> tags written whole whose </figure>
	// is still to come (and to drop).
	figuresOpen int
	// pageLinks are links to anchors and sections, checked once the sections
	// are known (sections.go).
	pageLinks []pageLink
}

var courseKey = parser.NewContextKey()

// doc is one Markdown file to render: where it is read from and where it is
// served.
type doc struct {
	file     string // path in the site's fs.FS
	lines    int    // lines of front matter before body
	body     []byte
	courseID string // "" for a page that is not a course
	base     string // URL of the folder, without a final "/"
	dir      string // folder in the site's fs.FS
	files    fs.FS  // the folder
	site     *siteIndex
}

func newCourseContext(d doc) *courseContext {
	starts := []int{0}
	for i, b := range d.body {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &courseContext{
		file: d.file, lineOffset: d.lines, lineStarts: starts,
		courseID: d.courseID, base: d.base, dir: d.dir, site: d.site, files: d.files,
		quizIDs: map[string]bool{}, exerciseIDs: map[string]bool{},
	}
}

// courseOf returns the context's course, or a throwaway one so that the dialect
// also works when someone renders Markdown with a bare goldmark parser.Context.
func courseOf(pc parser.Context) *courseContext {
	if c, ok := pc.Get(courseKey).(*courseContext); ok {
		return c
	}
	c := newCourseContext(doc{courseID: "course", base: DefaultURLPrefix + "/course"})
	pc.Set(courseKey, c)
	return c
}

// line converts an offset in the body to a 1-based line of the file.
func (c *courseContext) line(offset int) int {
	if offset < 0 || len(c.lineStarts) == 0 {
		return 0
	}
	i := sort.Search(len(c.lineStarts), func(i int) bool { return c.lineStarts[i] > offset })
	return c.lineOffset + i
}

// errorAt records an Error at an offset of the body (see report).
func (c *courseContext) errorAt(offset int, format string, args ...any) Problem {
	return c.report(Error, offset, fmt.Sprintf(format, args...))
}

// warningAt records a Warning at an offset of the body (see report).
func (c *courseContext) warningAt(offset int, format string, args ...any) Problem {
	return c.report(Warning, offset, fmt.Sprintf(format, args...))
}

// report records a problem once: the opening and closing tags of one mistake
// would otherwise report it twice. It returns the problem, for the exercise
// that must show it.
func (c *courseContext) report(sev Severity, offset int, msg string) Problem {
	p := Problem{File: c.file, Line: c.line(offset), Severity: sev, Message: msg}
	for _, q := range c.problems {
		if q == p {
			return p
		}
	}
	c.problems = append(c.problems, p)
	return p
}

// nodeOffset finds where a node starts in the source: its own position, its first
// line, or the nearest ancestor's, because inline nodes such as an image without
// alt text carry no position of their own.
func nodeOffset(n ast.Node) int {
	for ; n != nil; n = n.Parent() {
		if p := n.Pos(); p >= 0 {
			return p
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
		if t, ok := n.(*ast.Text); ok {
			return t.Segment.Start
		}
	}
	return -1
}

// plainText is the text a reader sees in a heading or link: code spans and
// emphasis flattened, raw HTML dropped.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(source))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML, *safeHTMLInline:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// tagAttrRE matches one attribute of a tag: name, name=value, name="value".
var tagAttrRE = regexp.MustCompile(`^\s*([A-Za-z_][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)

// parseOpenTag parses `<name attr="v" bare>` at the start of line (after up to
// three spaces). It returns the attributes (bare ones map to ""), the offset just
// after '>', and ok=false if the line does not start with that tag.
func parseOpenTag(line []byte, name string) (attrs map[string]string, end int, ok bool) {
	i := 0
	for i < len(line) && i < 3 && line[i] == ' ' {
		i++
	}
	if i >= len(line) || line[i] != '<' {
		return nil, 0, false
	}
	i++
	if len(line) < i+len(name) || !strings.EqualFold(string(line[i:i+len(name)]), name) {
		return nil, 0, false
	}
	i += len(name)
	if i < len(line) && !(line[i] == '>' || line[i] == ' ' || line[i] == '\t' || line[i] == '/') {
		return nil, 0, false // a longer tag name such as <quizzes>
	}
	attrs = map[string]string{}
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return nil, 0, false
		}
		if line[i] == '>' {
			return attrs, i + 1, true
		}
		if line[i] == '/' && i+1 < len(line) && line[i+1] == '>' {
			return attrs, i + 2, true
		}
		m := tagAttrRE.FindSubmatchIndex(line[i:])
		if m == nil || m[1] == 0 {
			return nil, 0, false
		}
		key := strings.ToLower(string(line[i+m[2] : i+m[3]]))
		val := ""
		for g := 4; g <= 8; g += 2 {
			if m[g] >= 0 {
				val = string(line[i+m[g] : i+m[g+1]])
			}
		}
		attrs[key] = htmlUnescape(val)
		i += m[1]
	}
}

// closeTag reports whether the trimmed line is exactly `</name>` (only) or ends
// with it after some content (atEnd).
func closeTag(line []byte, name string) (only, atEnd bool) {
	t := bytes.TrimSpace(line)
	tag := "</" + name + ">"
	if len(t) < len(tag) || !strings.EqualFold(string(t[len(t)-len(tag):]), tag) {
		return false, false
	}
	return len(t) == len(tag), len(t) > len(tag)
}

// startsSection reports whether line is an ATX level-1 heading, which no
// dialect container may swallow even when its closing tag is missing.
func startsSection(line []byte) bool {
	return len(line) > 0 && line[0] == '#' && (len(line) == 1 || line[1] == ' ' || line[1] == '\t' || line[1] == '\n' || line[1] == '\r')
}

// innerSegment returns the segment of line between start and the closing tag,
// trimmed, for tags opened and closed on one line.
func innerSegment(seg text.Segment, line []byte, start int, name string) (text.Segment, bool) {
	rest := line[start:]
	idx := bytes.LastIndex(asciiLower(rest), []byte("</"+name+">"))
	if idx < 0 {
		return text.Segment{}, false
	}
	if len(bytes.TrimSpace(rest[idx+len(name)+3:])) != 0 {
		return text.Segment{}, false
	}
	inner := rest[:idx]
	l := len(inner) - len(bytes.TrimLeft(inner, " \t"))
	r := max(len(bytes.TrimRight(inner, " \t")), l)
	base := seg.Start - seg.Padding
	return text.NewSegment(base+start+l, base+start+r), true
}

// asciiLower lower-cases ASCII letters only, keeping every other byte, so
// that offsets in the result are offsets in b (bytes.ToLower replaces
// invalid UTF-8 by three-byte runes, which moves them).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func htmlUnescape(s string) string { return stdhtml.UnescapeString(s) }

func prioritized(v any, p int) util.PrioritizedValue { return util.Prioritized(v, p) }

func addRenderer(m goldmark.Markdown, r renderer.NodeRenderer) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(prioritized(r, prioRenderer)))
}
