package content

import (
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// An unfenced full HTML document (from <!DOCTYPE html> or <html> to </html>) in a
// course is always an example the author meant the learner to copy, never markup
// for the page: live, it would inject <script> and <style> into the page, and
// sanitised, the learner would see a few stray words. So it is shown as
// highlighted HTML code, and the author is told to fence it.

var kindHTMLDocument = ast.NewNodeKind("HTMLDocument")

type htmlDocumentNode struct {
	ast.BaseBlock
	done bool
}

func (n *htmlDocumentNode) Kind() ast.NodeKind { return kindHTMLDocument }
func (n *htmlDocumentNode) IsRaw() bool        { return true }
func (n *htmlDocumentNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, nil, nil)
}

var (
	htmlDocStartRE = regexp.MustCompile(`(?i)^ {0,3}(<!doctype\s+html|<html[\s>])`)
	htmlDocEndRE   = regexp.MustCompile(`(?i)</html\s*>`)
)

type htmlDocumentParser struct{}

func (htmlDocumentParser) Trigger() []byte { return []byte{'<'} }

func (htmlDocumentParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	if !htmlDocStartRE.Match(line) {
		return nil, parser.NoChildren
	}
	// Without a closing </html> the block would swallow the rest of the course;
	// leave such a fragment to the (sanitising) HTML block parser instead.
	if !htmlDocEndRE.Match(reader.Source()[seg.Start:]) {
		return nil, parser.NoChildren
	}
	n := &htmlDocumentNode{}
	n.Lines().Append(seg)
	n.done = htmlDocEndRE.Match(line)
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}

func (htmlDocumentParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*htmlDocumentNode)
	if n.done {
		return parser.Close
	}
	line, seg := reader.PeekLine()
	if line == nil {
		return parser.Close
	}
	n.Lines().Append(seg)
	n.done = htmlDocEndRE.Match(line)
	reader.AdvanceToEOL()
	return parser.Continue | parser.NoChildren
}

func (htmlDocumentParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	courseOf(pc).warningAt(node.Pos(), "a full HTML document is shown as code, never as part of the page; fence it with ```html before and ``` after to say so")
}

func (htmlDocumentParser) CanInterruptParagraph() bool { return true }
func (htmlDocumentParser) CanAcceptIndentedLine() bool { return false }

// htmlDocumentRenderer shows an unfenced HTML document as highlighted code.
type htmlDocumentRenderer struct{ h *highlighter }

func (r htmlDocumentRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindHTMLDocument, r.render)
}

func (r htmlDocumentRenderer) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	r.h.write(w, "html", blockLines(source, node))
	return ast.WalkSkipChildren, nil
}

func extendHTMLDocument(m goldmark.Markdown, h *highlighter) {
	m.Parser().AddOptions(parser.WithBlockParsers(prioritized(htmlDocumentParser{}, prioBlockParser-10)))
	addRenderer(m, htmlDocumentRenderer{h})
}
