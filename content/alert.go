package content

import (
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// <alert type="warning">…</alert> is a call-out box whose content is Markdown. It
// is a container block (like a block quote) rather than raw HTML, because
// CommonMark would otherwise treat the whole box as one HTML block and the
// Markdown inside would come out as raw text.

var kindAlert = ast.NewNodeKind("Alert")

// alertTypes are the kinds of box authors may ask for; each is a CSS class.
var alertTypes = map[string]bool{"info": true, "success": true, "warning": true, "danger": true}

// alertAliases are other words authors use for the types.
var alertAliases = map[string]string{"error": "danger", "warn": "warning", "note": "info", "tip": "success", "caution": "warning"}

// alertType is the type shown for what the author asked: one of alertTypes,
// "info" when the word is unknown.
func alertType(asked string) string {
	t := strings.ToLower(strings.TrimSpace(asked))
	if a := alertAliases[t]; a != "" {
		return a
	}
	if !alertTypes[t] {
		return "info"
	}
	return t
}

type alertNode struct {
	ast.BaseBlock
	alertType string // always one of alertTypes
	asked     string // what the author wrote, for the problem message
	container
}

func (n *alertNode) Kind() ast.NodeKind { return kindAlert }
func (n *alertNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Type": n.alertType}, nil)
}

type alertParser struct{}

func (alertParser) Trigger() []byte { return []byte{'<'} }

func (alertParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "alert")
	if !ok {
		return nil, parser.NoChildren
	}
	asked, ok := attrs["type"]
	if !ok {
		asked = attrs["severity"] // the other name authors use for it
	}
	n := &alertNode{asked: asked, alertType: alertType(asked)}
	if inner, ok := innerSegment(seg, line, end, "alert"); ok {
		// <alert>text</alert> on one line: its text is one paragraph.
		if inner.Len() > 0 {
			p := ast.NewParagraph()
			p.Lines().Append(inner)
			n.AppendChild(n, p)
		}
		n.done = true
		reader.AdvanceToEOL()
		return n, parser.NoChildren
	}
	reader.Advance(end)
	return n, parser.HasChildren
}

func (alertParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	state, _ := node.(*alertNode).continueUntil(reader, "alert", startsSection)
	return state
}

func (alertParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	n := node.(*alertNode)
	if !n.done {
		courseOf(pc).errorAt(n.Pos(), "<alert> is not closed, so it runs to the end of its block; add </alert> on a line of its own after its text")
	}
	if asked := strings.ToLower(strings.TrimSpace(n.asked)); asked != "" && !alertTypes[asked] && alertAliases[asked] == "" {
		courseOf(pc).warningAt(n.Pos(), `<alert type=%q>: unknown type, shown as "info"; use one of info, success, warning, danger`, n.asked)
	}
}

func (alertParser) CanInterruptParagraph() bool { return true }
func (alertParser) CanAcceptIndentedLine() bool { return false }

// closingTagCleaner removes `</name>` written at the end of a content line inside
// a dialect container, where goldmark parsed it as inline raw HTML.
type closingTagCleaner struct {
	kind ast.NodeKind
	tag  string
}

func (c closingTagCleaner) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var strays []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Kind() != c.kind {
			return ast.WalkContinue, nil
		}
		_ = ast.Walk(n, func(d ast.Node, entering bool) (ast.WalkStatus, error) {
			if raw, ok := d.(*ast.RawHTML); ok && entering &&
				strings.EqualFold(strings.TrimSpace(string(raw.Segments.Value(source))), "</"+c.tag+">") {
				strays = append(strays, raw)
			}
			return ast.WalkContinue, nil
		})
		return ast.WalkSkipChildren, nil
	})
	for _, s := range strays {
		// The text before the tag ends with the line's trailing spaces, and the
		// softbreak after it would be dangling; neither matters in HTML.
		s.Parent().RemoveChild(s.Parent(), s)
	}
}

type alertRenderer struct{}

func (alertRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindAlert, renderAlert)
}

func renderAlert(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*alertNode)
	if entering {
		// role="note": the box is part of the text, not a live announcement, so
		// role="alert" would make screen readers interrupt the reader on load.
		_, _ = w.WriteString(`<div class="alert alert-` + n.alertType + `" role="note">` + "\n")
	} else {
		_, _ = w.WriteString("</div>\n")
	}
	return ast.WalkContinue, nil
}

func extendAlert(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(prioritized(alertParser{}, prioBlockParser)),
		parser.WithASTTransformers(prioritized(closingTagCleaner{kindAlert, "alert"}, prioStructure)),
	)
	addRenderer(m, alertRenderer{})
}
