package content

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// A course is parsed once, as one Markdown document, so that reference links,
// heading ids and quiz ids are resolved across the whole course; the top level of
// the tree is then cut at each level-1 heading. Cutting the tree rather than the
// text means a "# comment" line inside a fenced code block never starts a section.

// renderCourse parses a course body and returns its sections and quizzes; the
// problems found are added to c.
func renderCourse(md goldmark.Markdown, c *courseContext, body []byte, courseTitle string) ([]*Section, map[string]*Quiz) {
	ids := newHeadingIDs()
	pc := parser.NewContext(parser.WithIDs(ids))
	pc.Set(courseKey, c)
	doc := md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))

	type part struct {
		heading *ast.Heading
		nodes   []ast.Node
	}
	var parts []*part
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		h, isH1 := n.(*ast.Heading)
		isH1 = isH1 && h.Level == 1
		switch {
		case len(parts) == 0:
			parts = append(parts, &part{})
		case isH1 && parts[len(parts)-1].heading != nil:
			parts = append(parts, &part{})
		}
		p := parts[len(parts)-1]
		if isH1 && p.heading == nil {
			p.heading = h // text before the first heading stays in its section
		}
		p.nodes = append(p.nodes, n)
	}
	if len(parts) == 0 {
		parts = append(parts, &part{})
	}

	render := func(n ast.Node) string {
		var b bytes.Buffer
		_ = md.Renderer().Render(&b, body, n)
		return b.String()
	}
	quizzes := map[string]*Quiz{}
	sections := make([]*Section, 0, len(parts))
	for i, p := range parts {
		s := &Section{Index: i, Title: courseTitle, Line: c.lineOffset + 1}
		if p.heading != nil {
			s.Title = plainText(p.heading, body)
			if id, ok := p.heading.AttributeString("id"); ok {
				s.Slug = string(id.([]byte))
			}
		}
		if s.Slug == "" {
			s.Slug = string(ids.Generate([]byte(s.Title), ast.KindHeading))
		}
		if len(p.nodes) > 0 {
			if off := nodeOffset(p.nodes[0]); off >= 0 {
				s.Line = c.line(off)
			}
		}
		sec := ast.NewDocument()
		for _, n := range p.nodes {
			doc.RemoveChild(doc, n)
			sec.AppendChild(sec, n)
		}
		_ = ast.Walk(sec, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.Heading:
				if n.Level == 2 || n.Level == 3 {
					if id, ok := n.AttributeString("id"); ok {
						s.Headings = append(s.Headings, Heading{Level: n.Level, ID: string(id.([]byte)), Title: plainText(n, body)})
					}
				}
				return ast.WalkSkipChildren, nil
			case *quizNode:
				q := quizOf(n, c.line(n.Pos()), render)
				s.Quizzes = append(s.Quizzes, q)
				quizzes[q.ID] = q
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
		s.HTML = template.HTML(render(sec))
		sections = append(sections, s)
	}
	return sections, quizzes
}
