package content

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/courselab/courselab/labs/check/vocab"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// <exercise id="…" title="…"> states a goal in Markdown and holds <hint>s, one
// <solution> and the <check …/>s the server runs when the learner presses Check.
// The page gets the goal, the hints and the solution folded in <details>, and a
// form that posts to the check API; the checks stay on the server, like quiz
// answers. A malformed exercise still renders, with the authoring errors shown
// inside it, because one typo must not hide a whole section.

// Exercise is a task checked against the learner's lab sandbox.
type Exercise struct {
	// ID is unique in the course and stable: results are stored under it.
	ID string
	// Title is the exercise's title as written.
	Title string
	// Section is the slug of the section holding the exercise.
	Section string
	// Line in Course.File of the <exercise> tag.
	Line int
	// Checks are evaluated in order; the exercise is solved when all pass.
	Checks []Check
	// Problems are the authoring errors of this exercise; while there are
	// any, the page shows them inside the exercise and its Check button is off.
	Problems []Problem
}

// Check is one <check type="…" …/> of an exercise.
type Check struct {
	// Type is a key of vocab.Types.
	Type string
	// Args holds the other attributes as written (normalised, see
	// vocab.Validate); Check.Arg adds the defaults.
	Args map[string]string
	// Line in Course.File of the <check> tag.
	Line int
}

// Arg returns the value of a check attribute, or its default.
func (c Check) Arg(name string) string { return vocab.Arg(c.Type, c.Args, name) }

var (
	kindExercise     = ast.NewNodeKind("Exercise")
	kindExerciseGoal = ast.NewNodeKind("ExerciseGoal")
	kindHint         = ast.NewNodeKind("Hint")
	kindSolution     = ast.NewNodeKind("Solution")
	kindCheck        = ast.NewNodeKind("Check")
)

// exerciseIDRE is the id format: lower-case words joined by hyphens.
var exerciseIDRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

var exerciseIDCleanRE = regexp.MustCompile(`[^a-z0-9]+`)

type exerciseNode struct {
	ast.BaseBlock
	attrs    map[string]string
	model    *Exercise // set by exerciseTransformer
	action   string
	unclosed bool
	container
}

func (n *exerciseNode) Kind() ast.NodeKind { return kindExercise }
func (n *exerciseNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, n.attrs, nil)
}

// exerciseGoalNode holds the exercise's own text, gathered by the transformer.
type exerciseGoalNode struct{ ast.BaseBlock }

func (n *exerciseGoalNode) Kind() ast.NodeKind { return kindExerciseGoal }
func (n *exerciseGoalNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, nil, nil)
}

// partNode is a <hint> or <solution>: a container closed by its end tag.
type partNode struct {
	ast.BaseBlock
	kind   ast.NodeKind
	tag    string
	number int // hints: 1, 2, …
	container
}

func (n *partNode) Kind() ast.NodeKind { return n.kind }
func (n *partNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, nil, nil)
}

type checkNode struct {
	ast.BaseBlock
	attrs    map[string]string
	trailing bool // text after the tag on its line
}

func (n *checkNode) Kind() ast.NodeKind { return kindCheck }
func (n *checkNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, n.attrs, nil)
}

// fenceTracker follows fenced code blocks inside a dialect container, so that
// a "# comment" or "</solution>" line inside code neither starts a section nor
// closes the container.
type fenceTracker struct {
	char byte
	n    int
}

// inFence reads the next line of the container and reports whether it opens,
// continues or closes a fenced code block.
func (f *fenceTracker) inFence(line []byte) bool {
	i := 0
	for i < len(line) && i < 3 && line[i] == ' ' {
		i++
	}
	run := 0
	var c byte
	if i < len(line) && (line[i] == '`' || line[i] == '~') {
		c = line[i]
		for i+run < len(line) && line[i+run] == c {
			run++
		}
	}
	if f.n == 0 {
		if run >= 3 {
			f.char, f.n = c, run
			return true
		}
		return false
	}
	if c == f.char && run >= f.n && len(strings.TrimSpace(string(line[i+run:]))) == 0 {
		f.n = 0
	}
	return true
}

type exerciseParser struct{}

func (exerciseParser) Trigger() []byte { return []byte{'<'} }

func (exerciseParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _ := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "exercise")
	if !ok {
		return nil, parser.NoChildren
	}
	reader.Advance(end)
	return &exerciseNode{attrs: attrs}, parser.HasChildren
}

func (exerciseParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*exerciseNode)
	state, unclosed := n.continueUntil(reader, "exercise", startsSection)
	if unclosed {
		n.unclosed = true
	}
	return state
}

func (exerciseParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	if n := node.(*exerciseNode); !n.done {
		n.unclosed = true
	}
}
func (exerciseParser) CanInterruptParagraph() bool { return true }
func (exerciseParser) CanAcceptIndentedLine() bool { return false }

// partParser parses <hint> and <solution>, only as direct children of an
// exercise.
type partParser struct {
	kind ast.NodeKind
	tag  string
}

func (p partParser) Trigger() []byte { return []byte{'<'} }

func (p partParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if parent.Kind() != kindExercise {
		return nil, parser.NoChildren // elsewhere it is a misplaced tag (sanitize.go)
	}
	line, seg := reader.PeekLine()
	_, end, ok := parseOpenTag(line, p.tag)
	if !ok {
		return nil, parser.NoChildren
	}
	n := &partNode{kind: p.kind, tag: p.tag}
	if inner, ok := innerSegment(seg, line, end, p.tag); ok {
		if inner.Len() > 0 {
			para := ast.NewParagraph()
			para.Lines().Append(inner)
			n.AppendChild(n, para)
		}
		n.done = true
		reader.AdvanceToEOL()
		return n, parser.NoChildren
	}
	reader.Advance(end)
	return n, parser.HasChildren
}

func (p partParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	state, _ := node.(*partNode).continueUntil(reader, p.tag, startsOtherPart)
	return state
}

// startsOtherPart reports whether a line opens the exercise's next part,
// which ends a <hint> or <solution> that forgot its end tag.
func startsOtherPart(line []byte) bool {
	for _, other := range []string{"hint", "solution", "check"} {
		if _, _, ok := parseOpenTag(line, other); ok {
			return true
		}
	}
	return false
}

func (p partParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {}
func (p partParser) CanInterruptParagraph() bool                           { return true }
func (p partParser) CanAcceptIndentedLine() bool                           { return false }

type checkParser struct{}

func (checkParser) Trigger() []byte { return []byte{'<'} }

func (checkParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if parent.Kind() != kindExercise {
		return nil, parser.NoChildren
	}
	line, _ := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "check")
	if !ok {
		return nil, parser.NoChildren
	}
	rest := strings.TrimSpace(string(line[end:]))
	n := &checkNode{attrs: attrs}
	if rest != "" && !strings.EqualFold(rest, "</check>") {
		n.trailing = true
	}
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}

func (checkParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	line, _ := reader.PeekLine()
	if only, _ := closeTag(line, "check"); only {
		reader.AdvanceToEOL() // <check …> then </check> on the next line
	}
	return parser.Close
}

func (checkParser) Close(ast.Node, text.Reader, parser.Context) {}
func (checkParser) CanInterruptParagraph() bool                 { return true }
func (checkParser) CanAcceptIndentedLine() bool                 { return false }

// exerciseTransformer validates exercises, gives them unique ids, builds their
// model and puts their parts in page order: goal, hints, solution, checks.
type exerciseTransformer struct{}

func (exerciseTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	c := courseOf(pc)
	var exercises []*exerciseNode
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if e, ok := n.(*exerciseNode); ok && entering {
			exercises = append(exercises, e)
		}
		return ast.WalkContinue, nil
	})
	for _, n := range exercises {
		c.exerciseCount++
		c.buildExercise(n)
	}
}

func (c *courseContext) buildExercise(n *exerciseNode) {
	pos := n.Pos()
	e := &Exercise{Title: strings.TrimSpace(n.attrs["title"]), Line: c.line(pos)}
	n.model = e
	fail := func(offset int, format string, args ...any) {
		e.Problems = append(e.Problems, c.errorAt(offset, format, args...))
	}
	id := strings.TrimSpace(n.attrs["id"])
	switch {
	case id == "":
		id = fmt.Sprintf("exercise-%d", c.exerciseCount)
		fail(pos, `<exercise> has no id; add one, e.g. <exercise id="%s" title="…">: results are stored under it, so keep it stable`, exampleExerciseID(e.Title))
	case !exerciseIDRE.MatchString(id):
		clean := strings.Trim(exerciseIDCleanRE.ReplaceAllString(strings.ToLower(id), "-"), "-")
		if clean == "" {
			clean = fmt.Sprintf("exercise-%d", c.exerciseCount)
		}
		fail(pos, `<exercise id=%q>: write ids as lower-case words joined by "-", e.g. id=%q`, id, clean)
		id = clean
	}
	if c.exerciseIDs[id] {
		first := id
		for i := 2; c.exerciseIDs[id]; i++ {
			id = first + "-" + strconv.Itoa(i)
		}
		fail(pos, `<exercise id=%q>: another exercise of this course has the same id; give each exercise its own id`, first)
	}
	c.exerciseIDs[id] = true
	e.ID = id
	if e.Title == "" {
		fail(pos, `<exercise id=%q> has no title; add title="…" saying what the learner will do`, id)
	}
	if n.unclosed {
		fail(pos, `<exercise id=%q> is not closed; add </exercise> on a line of its own after its last <check …/>`, id)
	}
	n.action = "/api/courses/" + url.PathEscape(c.courseID) + "/exercises/" + url.PathEscape(id) + "/check"

	goal := &exerciseGoalNode{}
	var hints, solutions, checks []ast.Node
	for child := n.FirstChild(); child != nil; {
		next := child.NextSibling()
		n.RemoveChild(n, child)
		switch k := child.(type) {
		case *partNode:
			if k.kind == kindHint {
				if !k.done {
					fail(nodeOffset(k), `<hint> in exercise %q is not closed; end it with </hint>`, id)
				}
				hints = append(hints, k)
				k.number = len(hints)
			} else {
				if !k.done {
					fail(nodeOffset(k), `<solution> in exercise %q is not closed; end it with </solution> on a line of its own`, id)
				}
				if len(solutions) == 1 {
					fail(nodeOffset(k), `exercise %q has more than one <solution>; keep one, and turn the others into <hint>s`, id)
				}
				solutions = append(solutions, k)
			}
		case *checkNode:
			checks = append(checks, k)
			c.buildCheck(e, k, fail)
		default:
			goal.AppendChild(goal, child)
		}
		child = next
	}
	if goal.ChildCount() == 0 {
		c.warningAt(pos, `<exercise id=%q> has no text saying what to do; write the goal below the <exercise> line`, id)
	}
	if len(checks) == 0 {
		fail(pos, `<exercise id=%q> has no <check …/>, so Check cannot say whether it is solved; add one on a line of its own before </exercise>, e.g. <check type="received" device="ESPDEVICE" /> (types: %s)`, id, strings.Join(vocab.Names, ", "))
	}
	n.AppendChild(n, goal)
	for _, list := range [][]ast.Node{hints, solutions, checks} {
		for _, k := range list {
			n.AppendChild(n, k)
		}
	}
}

func (c *courseContext) buildCheck(e *Exercise, k *checkNode, fail func(int, string, ...any)) {
	off := nodeOffset(k)
	typ := strings.TrimSpace(k.attrs["type"])
	args := map[string]string{}
	for name, v := range k.attrs {
		if name != "type" {
			args[name] = v
		}
	}
	if k.trailing {
		fail(off, `write each <check …/> alone on its line, with nothing after it`)
	}
	for _, err := range vocab.Validate(typ, args) {
		fail(off, "exercise %q: %v", e.ID, err)
	}
	e.Checks = append(e.Checks, Check{Type: typ, Args: args, Line: c.line(off)})
}

type exerciseRenderer struct{}

func (exerciseRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindExercise, renderExercise)
	reg.Register(kindExerciseGoal, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<div class="exercise-goal">` + "\n")
		} else {
			_, _ = w.WriteString("</div>\n")
		}
		return ast.WalkContinue, nil
	})
	reg.Register(kindHint, renderPart)
	reg.Register(kindSolution, renderPart)
	reg.Register(kindCheck, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil // checks stay on the server
	})
}

func renderExercise(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*exerciseNode)
	e := n.model
	if e == nil {
		return ast.WalkSkipChildren, nil // not transformed: rendered alone
	}
	if !entering {
		_, _ = w.WriteString(`<form class="exercise-check" method="post" action="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.action)))
		_, _ = w.WriteString(`"><button type="submit"`)
		if len(e.Problems) > 0 {
			_, _ = w.WriteString(` disabled`)
		}
		_, _ = w.WriteString(`>Check</button><p class="check-result" aria-live="polite"></p></form>` + "\n</section>\n")
		return ast.WalkContinue, nil
	}
	id := util.EscapeHTML([]byte(e.ID))
	title := e.Title
	if title == "" {
		title = e.ID
	}
	_, _ = w.WriteString(`<section class="exercise" id="exercise-`)
	_, _ = w.Write(id)
	_, _ = w.WriteString(`" data-exercise="`)
	_, _ = w.Write(id)
	_, _ = w.WriteString(`">` + "\n" + `<header><span class="exercise-label">Exercise</span><h3>`)
	_, _ = w.Write(util.EscapeHTML([]byte(title)))
	_, _ = w.WriteString("</h3></header>\n")
	if len(e.Problems) > 0 {
		_, _ = w.WriteString(`<div class="alert alert-danger authoring-error" role="note">` + "\n" +
			"<p><strong>This exercise cannot be checked yet.</strong> Fix the course file:</p>\n<ul>\n")
		for _, p := range e.Problems {
			_, _ = w.WriteString("<li>")
			_, _ = w.Write(util.EscapeHTML([]byte(p.String())))
			_, _ = w.WriteString("</li>\n")
		}
		_, _ = w.WriteString("</ul>\n</div>\n")
	}
	return ast.WalkContinue, nil
}

func renderPart(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*partNode)
	if !entering {
		_, _ = w.WriteString("</details>\n")
		return ast.WalkContinue, nil
	}
	if n.kind == kindHint {
		_, _ = w.WriteString(`<details class="hint"><summary>Hint ` + strconv.Itoa(n.number) + "</summary>\n")
	} else {
		_, _ = w.WriteString(`<details class="solution"><summary>Show a solution</summary>` + "\n")
	}
	return ast.WalkContinue, nil
}

func extendExercise(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(
			prioritized(exerciseParser{}, prioBlockParser),
			prioritized(partParser{kindHint, "hint"}, prioBlockParser-1),
			prioritized(partParser{kindSolution, "solution"}, prioBlockParser-1),
			prioritized(checkParser{}, prioBlockParser-1),
		),
		parser.WithASTTransformers(
			prioritized(closingTagCleaner{kindHint, "hint"}, prioStructure),
			prioritized(closingTagCleaner{kindSolution, "solution"}, prioStructure),
			prioritized(closingTagCleaner{kindExercise, "exercise"}, prioStructure),
			prioritized(exerciseTransformer{}, prioStructure+1),
		),
	)
	addRenderer(m, exerciseRenderer{})
}

// exampleExerciseID suggests an id made from a title.
func exampleExerciseID(title string) string {
	id := strings.Trim(exerciseIDCleanRE.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if id == "" {
		return "my-exercise"
	}
	return id
}
