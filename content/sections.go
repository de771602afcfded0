package content

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/url"
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// A course is parsed once, as one Markdown document, so that reference links,
// heading ids and quiz ids are resolved across the whole course; the top level of
// the tree is then cut at each level-1 heading. Cutting the tree rather than the
// text means a "# comment" line inside a fenced code block never starts a section.

// rendered is a course body turned into sections.
type rendered struct {
	sections  []*Section
	quizzes   map[string]*Quiz
	exercises []*Exercise
}

// part is the top-level nodes of one section.
type part struct {
	heading *ast.Heading
	nodes   []ast.Node
	slug    string
}

// renderCourse parses a course body and returns its sections, quizzes and
// exercises; the problems found are added to c.
func renderCourse(md goldmark.Markdown, c *courseContext, body []byte, courseTitle string) rendered {
	ids := newHeadingIDs()
	pc := parser.NewContext(parser.WithIDs(ids))
	pc.Set(courseKey, c)
	doc := md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))

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
	titles := make([]string, len(parts))
	for i, p := range parts {
		titles[i] = courseTitle
		if p.heading != nil {
			titles[i] = plainText(p.heading, body)
			if id, ok := p.heading.AttributeString("id"); ok {
				p.slug = string(id.([]byte))
			}
		}
		if p.slug == "" {
			p.slug = string(ids.Generate([]byte(titles[i]), ast.KindHeading))
		}
	}
	c.fixPageLinks(parts)

	render := func(n ast.Node) string {
		var b bytes.Buffer
		_ = md.Renderer().Render(&b, body, n)
		return b.String()
	}
	out := rendered{quizzes: map[string]*Quiz{}}
	for i, p := range parts {
		s := &Section{Index: i, Title: titles[i], Slug: p.slug, Line: c.lineOffset + 1}
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
				out.quizzes[q.ID] = q
				return ast.WalkSkipChildren, nil
			case *exerciseNode:
				e := n.model
				e.Section = s.Slug
				s.Exercises = append(s.Exercises, e)
				out.exercises = append(out.exercises, e)
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
		s.HTML = template.HTML(render(sec))
		out.sections = append(out.sections, s)
	}
	return out
}

// rawIDRE finds id attributes kept in sanitised raw HTML (<a id="x">).
var rawIDRE = regexp.MustCompile(`\sid="([^"]+)"`)

// anchors maps every anchor of the course to the index of its part.
func anchors(parts []*part) map[string]int {
	m := map[string]int{}
	for i, p := range parts {
		m[p.slug] = i
		for _, n := range p.nodes {
			_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				if !entering {
					return ast.WalkContinue, nil
				}
				switch n := n.(type) {
				case *ast.Heading:
					if id, ok := n.AttributeString("id"); ok {
						m[string(id.([]byte))] = i
					}
				case *exerciseNode:
					m["exercise-"+n.model.ID] = i
				case *safeHTMLBlock:
					for _, sm := range rawIDRE.FindAllSubmatch(n.html, -1) {
						m[htmlUnescape(string(sm[1]))] = i
					}
				case *safeHTMLInline:
					for _, sm := range rawIDRE.FindAllSubmatch(n.html, -1) {
						m[htmlUnescape(string(sm[1]))] = i
					}
				}
				return ast.WalkContinue, nil
			})
		}
	}
	return m
}

// fixPageLinks checks links to anchors and sections, and points a link to an
// anchor in another section at that section's page: sections are pages of their
// own, so "#topics" alone would go nowhere.
func (c *courseContext) fixPageLinks(parts []*part) {
	if len(c.pageLinks) == 0 {
		return
	}
	where := anchors(parts)
	partOf := map[ast.Node]int{}
	for i, p := range parts {
		for _, n := range p.nodes {
			_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
				if l, ok := n.(*ast.Link); ok && entering {
					partOf[l] = i
				}
				return ast.WalkContinue, nil
			})
		}
	}
	slugs := map[string]bool{}
	for _, p := range parts {
		slugs[p.slug] = true
	}
	base := c.base + "/"
	for _, pl := range c.pageLinks {
		if pl.section != "" {
			if slugs[pl.section] {
				continue
			}
			if c.files != nil {
				if _, err := fs.Stat(c.files, pl.section); err == nil {
					continue
				}
			}
			if c.files != nil {
				c.errorAt(pl.offset, "the link %q goes to no section of this course and no file in its folder; link to a section by its anchor, e.g. [text](#%s)", pl.section, parts[0].slug)
			}
			continue
		}
		i, ok := where[pl.anchor]
		if !ok {
			c.errorAt(pl.offset, "the link to #%s goes nowhere: no section or heading of this course has that anchor; use a heading's anchor (its title in lower case, words joined by \"-\"), e.g. #%s", pl.anchor, parts[0].slug)
			continue
		}
		if from, ok := partOf[pl.link]; ok && from != i {
			dest := base + url.PathEscape(parts[i].slug)
			if pl.anchor != parts[i].slug {
				dest += "#" + url.PathEscape(pl.anchor)
			}
			pl.link.Destination = []byte(dest)
		}
	}
}
