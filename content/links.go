package content

import (
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Authors write image and link paths relative to the course folder (img/x.png,
// ./img/x.png), as their Markdown preview shows them; the page lives at another
// URL (a section page), so every relative path is rewritten to where the server
// serves the course's files: URLPrefix/<course id>/img/x.png.

// resolved is what becomes of a link or image destination.
type resolved struct {
	url      string // the destination to write
	external bool   // another site: links get rel="noopener"
	drop     bool   // do not link: render the text (or alt text) alone
	problem  string // what to tell the author, if anything (an Error)
	warning  string // a slip that still works, or costs only a link (a Warning)
	anchor   string // a link inside the course's text: the anchor it points to
	section  string // a link that may name a section: its slug
}

// pageLink is a link to a place in the course's own text, which can only be
// checked and pointed at the right section page once every section is known.
type pageLink struct {
	link    *ast.Link
	anchor  string // "#anchor" or "index.md#anchor"
	section string // "section-slug", a path without extension
	offset  int
}

// resolve rewrites dest, found in the course, for the page.
func (c *courseContext) resolve(dest string, image bool) resolved {
	// Character references count, as in the browser: &#106;avascript: is
	// javascript:. Decoding first also keeps them from hiding in a rewritten path.
	dest = strings.TrimSpace(htmlUnescape(dest))
	if dest == "" {
		what := "link"
		if image {
			what = "image"
		}
		return resolved{drop: true, warning: "this " + what + " has no address, so its text is shown alone; write the address between the parentheses, or remove them"}
	}
	if strings.HasPrefix(dest, "#") {
		return resolved{url: dest, anchor: strings.TrimPrefix(dest, "#")}
	}
	if placeholderRE.MatchString(dest) {
		// [[lab.api_base]]/devices: the learner's own address, known only when
		// the section is rendered for them (HTMLFor).
		return resolved{url: dest}
	}
	u, err := url.Parse(dest)
	if err != nil {
		return resolved{drop: true, problem: "cannot read the address " + quote(dest) + " (" + err.Error() + "); write it as a plain path such as img/picture.png or a full https:// URL"}
	}
	switch strings.ToLower(u.Scheme) {
	case "":
	case "http", "https":
		return resolved{url: dest, external: true}
	case "mailto", "tel":
		return resolved{url: dest}
	default:
		return resolved{drop: true, problem: "the address " + quote(dest) + " uses " + u.Scheme + ":, which pages do not follow; use an http(s):// URL or a path inside the course folder"}
	}
	if u.Host != "" {
		return resolved{url: dest, external: true} // //host/path
	}
	if strings.HasPrefix(u.Path, "/") {
		// The author means this site's own path: a page of one of its
		// sections must exist.
		return c.resolveAbsolute(dest, u)
	}
	p := path.Clean(u.Path)
	if r, ok := c.resolveOtherPage(p, u); ok {
		return r
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return resolved{drop: true, problem: "the path " + quote(dest) + " leaves the folder of " + path.Base(c.file) + " and names no page or file the site serves; copy the file into the folder (e.g. img/) and point to it there, or link to a page that exists"}
	}
	if p == "." || p == "index.md" || p == "_index.md" {
		// A link to the course's own file: stay on the page, at the anchor.
		if u.Fragment != "" {
			return resolved{url: "#" + u.EscapedFragment(), anchor: u.Fragment}
		}
		return resolved{url: c.base}
	}
	r := resolved{url: c.base + "/" + (&url.URL{Path: p}).EscapedPath()}
	if u.RawQuery != "" {
		r.url += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		r.url += "#" + u.EscapedFragment()
	}
	if !image && path.Ext(p) == "" && !strings.Contains(p, "/") {
		r.section = p // checked against the section slugs later
		return r
	}
	if c.files != nil {
		if _, err := fs.Stat(c.files, p); err != nil {
			what := "file"
			if image {
				what = "image"
			}
			r.problem = "the " + what + " " + quote(dest) + " is not in the course folder; add it there (paths are relative to the folder of index.md, and case matters)"
			if path.Ext(p) == ".md" {
				r.problem += ", or link to a section of this course by its anchor, e.g. [text](#section-title)"
			}
		}
	}
	return r
}

// withQueryAndFragment adds u's query and fragment to a resolved URL.
func withQueryAndFragment(to string, u *url.URL) string {
	if u.RawQuery != "" {
		to += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		to += "#" + u.EscapedFragment()
	}
	return to
}

// resolveAbsolute checks a site-absolute link: under a section the site
// serves (/courses/, /resources/, …) it must name a page, or a section or
// file of one; it is pointed at the page's address as the site serves it.
func (c *courseContext) resolveAbsolute(dest string, u *url.URL) resolved {
	els := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 2)
	if c.site == nil || !sections[els[0]] || len(els) < 2 {
		return resolved{url: dest}
	}
	if to, ok := c.site.absolute(u.Path); ok {
		return resolved{url: withQueryAndFragment(to, u)}
	}
	if to, ok := c.site.absolute(path.Dir(u.Path)); ok {
		// A section of a course, or a file of a page.
		return resolved{url: withQueryAndFragment(to+"/"+escapePath(path.Base(u.Path)), u)}
	}
	return resolved{url: dest, warning: "the link " + quote(dest) + " names no page this site serves; point it at an existing page (courses, categories, programs, resources and solutions are served under their folder names made lower-case, words joined by \"-\")"}
}

// resolveOtherPage points a relative link at another page of the site when
// it names that page's folder or index file (../2.MachineLearning/_index.md),
// or a file in another page's folder (../other/img/x.png).
func (c *courseContext) resolveOtherPage(p string, u *url.URL) (resolved, bool) {
	if c.site == nil || c.files == nil {
		return resolved{}, false
	}
	target := path.Join(c.dir, p)
	if target == ".." || strings.HasPrefix(target, "../") || target == c.dir || strings.HasPrefix(target, c.dir+"/") && path.Ext(p) != ".md" {
		return resolved{}, false
	}
	if to, ok := c.site.page(target); ok {
		if to == c.base {
			return resolved{}, false
		}
		return resolved{url: withQueryAndFragment(to, u)}, true
	}
	if path.Base(target) == "index.md" || path.Base(target) == "_index.md" {
		if to, ok := c.site.page(path.Dir(target)); ok && to != c.base {
			return resolved{url: withQueryAndFragment(to, u)}, true
		}
	}
	if !strings.HasPrefix(p, "../") {
		return resolved{}, false
	}
	if to, ok := c.site.file(target); ok && IsAsset(target) {
		if _, err := fs.Stat(c.site.fsys, target); err == nil {
			return resolved{url: withQueryAndFragment(to, u)}, true
		}
	}
	return resolved{}, false
}

func quote(s string) string { return "\"" + s + "\"" }

// linkTransformer applies resolve to every Markdown link, image and autolink.
type linkTransformer struct{}

func (linkTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	c := courseOf(pc)
	source := reader.Source()
	var nodes []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.(type) {
		case *ast.Link, *ast.Image, *ast.AutoLink:
			if entering {
				nodes = append(nodes, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range nodes {
		var r resolved
		off := nodeOffset(n)
		switch n := n.(type) {
		case *ast.Link:
			r = c.resolve(string(n.Destination), false)
			if !r.drop {
				n.Destination = []byte(r.url)
				if r.external {
					n.SetAttributeString("rel", []byte("noopener"))
				}
				if r.anchor != "" || r.section != "" {
					c.pageLinks = append(c.pageLinks, pageLink{link: n, anchor: r.anchor, section: r.section, offset: off})
				}
			}
		case *ast.Image:
			r = c.resolve(string(n.Destination), true)
			if !r.drop {
				n.Destination = []byte(r.url)
				// Courses are long pages of pictures; load them as the reader
				// scrolls.
				n.SetAttributeString("loading", []byte("lazy"))
			}
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkEmail {
				continue
			}
			r = c.resolve(string(n.URL(source)), false)
			if r.drop {
				// Keep what the author wrote, as text.
				s := ast.NewString(n.Label(source))
				n.Parent().ReplaceChild(n.Parent(), n, s)
				r.drop = false
			} else if r.external {
				n.SetAttributeString("rel", []byte("noopener"))
			}
		}
		if r.problem != "" {
			c.errorAt(off, "%s", r.problem)
		}
		if r.warning != "" {
			c.warningAt(off, "%s", r.warning)
		}
		if r.drop {
			unwrap(n)
		}
	}
}

// unwrap replaces n by its children: a link without its href, an image by its
// alt text.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for child := n.FirstChild(); child != nil; {
		next := child.NextSibling()
		parent.InsertBefore(parent, n, child)
		child = next
	}
	parent.RemoveChild(parent, n)
}

func extendLinks(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(prioritized(linkTransformer{}, prioLinks)))
}
