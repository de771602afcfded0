package content

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// <quiz id="…" type="single-choice" title="…"> holds <answer feedback="…" right>
// answers. The page gets a plain form that posts to the server, which grades it:
// which answer is right and the feedback texts stay on the server, so the
// renderer below must never write them, nor anything that tells answers apart.

var (
	kindQuiz   = ast.NewNodeKind("Quiz")
	kindAnswer = ast.NewNodeKind("Answer")
)

type quizNode struct {
	ast.BaseBlock
	id, quizType, title string
	asked               map[string]string // the tag's attributes as written
	action              string            // set by quizTransformer
	container
}

func (n *quizNode) Kind() ast.NodeKind { return kindQuiz }
func (n *quizNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"ID": n.id, "Type": n.quizType}, nil)
}

type answerNode struct {
	ast.BaseBlock
	id       string
	feedback string
	right    bool
	done     bool
}

func (n *answerNode) Kind() ast.NodeKind { return kindAnswer }
func (n *answerNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"ID": n.id}, nil)
}

type quizParser struct{}

func (quizParser) Trigger() []byte { return []byte{'<'} }

func (quizParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "quiz")
	if !ok {
		return nil, parser.NoChildren
	}
	n := &quizNode{asked: attrs, id: strings.TrimSpace(attrs["id"]), title: strings.TrimSpace(attrs["title"])}
	if _, ok := innerSegment(seg, line, end, "quiz"); ok {
		n.done = true
		reader.AdvanceToEOL()
		return n, parser.NoChildren
	}
	reader.Advance(end)
	return n, parser.HasChildren
}

func (quizParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*quizNode)
	if !n.done && !n.fence.open() {
		// Authors indent answers by a tab or four spaces, as HTML inside
		// its tag, never meaning a code block: inside a quiz, indentation
		// says nothing, so it is skipped before the answers are read.
		line, _ := reader.PeekLine()
		if ws := len(line) - len(bytes.TrimLeft(line, " \t")); ws > 0 && ws < len(bytes.TrimRight(line, "\r\n")) {
			reader.Advance(ws)
		}
	}
	state, _ := n.continueUntil(reader, "quiz", startsSection)
	return state
}

func (quizParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	if n := node.(*quizNode); !n.done {
		courseOf(pc).errorAt(n.Pos(), "<quiz> is not closed, so it runs to the end of its block; add </quiz> on a line of its own after its last answer")
	}
}
func (quizParser) CanInterruptParagraph() bool { return true }
func (quizParser) CanAcceptIndentedLine() bool { return false }

type answerParser struct{}

func (answerParser) Trigger() []byte { return []byte{'<'} }

func (answerParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if parent.Kind() != kindQuiz {
		return nil, parser.NoChildren // outside a quiz it is an unknown tag (sanitize.go)
	}
	line, seg := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "answer")
	if !ok {
		return nil, parser.NoChildren
	}
	right, hasRight := attrs["right"]
	n := &answerNode{feedback: attrs["feedback"], right: hasRight && !strings.EqualFold(right, "false")}
	if inner, ok := innerSegment(seg, line, end, "answer"); ok {
		// One line: the answer's text is inline content, fit for a <label>.
		n.Lines().Append(inner)
		n.done = true
		reader.AdvanceToEOL()
		return n, parser.NoChildren
	}
	reader.Advance(end)
	return n, parser.HasChildren
}

func (answerParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*answerNode)
	if n.done {
		return parser.Close
	}
	line, _ := reader.PeekLine()
	if _, _, ok := parseOpenTag(line, "answer"); ok {
		return parser.Close // the next answer starts: this one forgot its </answer>
	}
	only, atEnd := closeTag(line, "answer")
	if only {
		reader.AdvanceToEOL()
		return parser.Close
	}
	if atEnd {
		n.done = true
	}
	return parser.Continue | parser.HasChildren
}

func (answerParser) Close(ast.Node, text.Reader, parser.Context) {}
func (answerParser) CanInterruptParagraph() bool                 { return true }
func (answerParser) CanAcceptIndentedLine() bool                 { return false }

// quizIDRE keeps quiz ids fit for a URL path segment and an HTML id.
var quizIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

var quizIDCleanRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// quizTransformer validates quizzes, gives them and their answers stable ids, and
// sets the form action; it needs the whole course, for duplicate ids.
type quizTransformer struct{}

func (quizTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	c := courseOf(pc)
	var quizzes []*quizNode
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if q, ok := n.(*quizNode); ok && entering {
			quizzes = append(quizzes, q)
		}
		return ast.WalkContinue, nil
	})
	for _, q := range quizzes {
		c.quizCount++
		pos := q.Pos()
		switch {
		case q.id == "":
			q.id = fmt.Sprintf("quiz-%d", c.quizCount)
			c.errorAt(pos, `<quiz> has no id; add one, e.g. <quiz id="%s" …>, so answers can be graded and stored`, q.id)
		case !quizIDRE.MatchString(q.id):
			clean := strings.Trim(quizIDCleanRE.ReplaceAllString(q.id, "-"), "-")
			if clean == "" {
				clean = fmt.Sprintf("quiz-%d", c.quizCount)
			}
			c.errorAt(pos, `<quiz id=%q>: use only letters, digits, "-" and "_" in quiz ids (e.g. %q)`, q.id, clean)
			q.id = clean
		}
		if c.quizIDs[q.id] {
			id := q.id
			for i := 2; c.quizIDs[q.id]; i++ {
				q.id = fmt.Sprintf("%s-%d", id, i)
			}
			c.errorAt(pos, `<quiz id=%q>: another quiz of this course has the same id; give each quiz its own id`, id)
		}
		c.quizIDs[q.id] = true
		q.action = c.base + "/quizzes/" + url.PathEscape(q.id)

		rights, count := 0, 0
		for a := q.FirstChild(); a != nil; a = a.NextSibling() {
			ans, ok := a.(*answerNode)
			if !ok {
				continue
			}
			count++
			ans.id = fmt.Sprintf("a%d", count)
			if ans.right {
				rights++
			}
			unwrapSingleParagraph(ans)
		}
		asked := strings.ToLower(strings.TrimSpace(q.asked["type"]))
		switch asked {
		case SingleChoice, MultipleChoice:
			q.quizType = asked
		default:
			q.quizType = SingleChoice
			if rights > 1 {
				q.quizType = MultipleChoice
			}
			if asked != "" {
				c.warningAt(pos, `<quiz id=%q type=%q>: unknown type, taken as %s; use type="single-choice" or type="multiple-choice"`, q.id, q.asked["type"], q.quizType)
			}
		}
		switch {
		case count == 0:
			c.errorAt(pos, `<quiz id=%q> has no answers; add <answer>…</answer> lines inside it, and mark the right one with the word right: <answer right>…</answer>`, q.id)
		case rights == 0:
			c.errorAt(pos, `<quiz id=%q> has no right answer; mark it with the word right: <answer right>…</answer>`, q.id)
		case rights > 1 && q.quizType == SingleChoice:
			c.errorAt(pos, `<quiz id=%q> is single-choice but marks %d answers right; mark only one, or make it type="multiple-choice"`, q.id, rights)
		}
	}
}

// unwrapSingleParagraph turns a multi-line answer that is a single paragraph into
// inline content, because a <label> may not hold a <p>.
func unwrapSingleParagraph(n ast.Node) {
	p, ok := n.FirstChild().(*ast.Paragraph)
	if !ok || n.ChildCount() != 1 {
		return
	}
	for c := p.FirstChild(); c != nil; {
		next := c.NextSibling()
		n.AppendChild(n, c)
		c = next
	}
	n.RemoveChild(n, p)
}

// quizOf builds the server-side Quiz of a node; render renders a node's content.
func quizOf(q *quizNode, line int, render func(ast.Node) string) *Quiz {
	quiz := &Quiz{ID: q.id, Type: q.quizType, Title: q.title, Line: line}
	for a := q.FirstChild(); a != nil; a = a.NextSibling() {
		if ans, ok := a.(*answerNode); ok {
			var b strings.Builder
			for c := ans.FirstChild(); c != nil; c = c.NextSibling() {
				b.WriteString(render(c))
			}
			quiz.Answers = append(quiz.Answers, Answer{
				ID: ans.id, Feedback: ans.feedback, Right: ans.right,
				HTML: template.HTML(strings.TrimSpace(b.String())),
			})
		}
	}
	return quiz
}

type quizRenderer struct{}

func (quizRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindQuiz, renderQuiz)
	reg.Register(kindAnswer, renderAnswer)
}

func renderQuiz(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*quizNode)
	if entering {
		title := n.title
		if title == "" {
			title = "Quiz"
		}
		// The id is where the verdict page without JavaScript links back to.
		_, _ = w.WriteString(`<form class="quiz" id="quiz-`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.id)))
		_, _ = w.WriteString(`" data-quiz="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.id)))
		_, _ = w.WriteString(`" data-quiz-type="` + n.quizType + `" method="post" action="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.action)))
		_, _ = w.WriteString(`">` + "\n<fieldset>\n<legend>")
		_, _ = w.Write(util.EscapeHTML([]byte(title)))
		_, _ = w.WriteString("</legend>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<button type="submit">Check answer</button>` + "\n")
	_, _ = w.WriteString(`<p class="quiz-feedback" aria-live="polite"></p>` + "\n</fieldset>\n</form>\n")
	return ast.WalkContinue, nil
}

// renderAnswer writes the same markup for every answer, right or wrong.
func renderAnswer(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*answerNode)
	q, _ := n.Parent().(*quizNode)
	if q == nil {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</label></div>\n")
		return ast.WalkContinue, nil
	}
	input := "radio"
	if q.quizType == MultipleChoice {
		input = "checkbox"
	}
	htmlID := util.EscapeHTML([]byte("quiz-" + q.id + "-" + n.id))
	_, _ = w.WriteString(`<div class="quiz-answer"><input type="` + input + `" name="answer" value="` + n.id + `" id="`)
	_, _ = w.Write(htmlID)
	_, _ = w.WriteString(`"><label for="`)
	_, _ = w.Write(htmlID)
	_, _ = w.WriteString(`">`)
	return ast.WalkContinue, nil
}

func extendQuiz(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(
			prioritized(quizParser{}, prioBlockParser),
			prioritized(answerParser{}, prioBlockParser-1),
		),
		parser.WithASTTransformers(
			prioritized(closingTagCleaner{kindAnswer, "answer"}, prioStructure),
			prioritized(closingTagCleaner{kindQuiz, "quiz"}, prioStructure),
			prioritized(quizTransformer{}, prioStructure+1),
		),
	)
	addRenderer(m, quizRenderer{})
}
