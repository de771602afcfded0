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

// <youtube>VIDEO_ID</youtube> on a line of its own embeds a video. It is a block
// parser (not raw HTML) so that it also works in the middle of a paragraph, and so
// that the id is validated before it lands in an iframe src.

var kindYouTube = ast.NewNodeKind("YouTube")

type youTubeNode struct {
	ast.BaseBlock
	videoID string
	title   string
}

func (n *youTubeNode) Kind() ast.NodeKind { return kindYouTube }
func (n *youTubeNode) IsRaw() bool        { return true }
func (n *youTubeNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"VideoID": n.videoID}, nil)
}

// youTubeIDRE is what YouTube ids look like (11 characters today; a little slack
// so that a future format does not break courses, none so that nothing odd reaches
// the iframe URL).
var youTubeIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{6,20}$`)

func (n *youTubeNode) valid() bool { return youTubeIDRE.MatchString(n.videoID) }

type youTubeParser struct{}

func (youTubeParser) Trigger() []byte { return []byte{'<'} }

func (youTubeParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	attrs, end, ok := parseOpenTag(line, "youtube")
	if !ok {
		return nil, parser.NoChildren
	}
	inner, ok := innerSegment(seg, line, end, "youtube")
	if !ok {
		return nil, parser.NoChildren
	}
	n := &youTubeNode{videoID: strings.TrimSpace(string(inner.Value(reader.Source()))), title: attrs["title"]}
	if n.videoID == "" {
		n.videoID = attrs["id"]
	}
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}

func (youTubeParser) Continue(ast.Node, text.Reader, parser.Context) parser.State {
	return parser.Close
}

func (youTubeParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	n := node.(*youTubeNode)
	if !n.valid() {
		courseOf(pc).errorAt(n.Pos(), "<youtube>%s</youtube>: %q is not a YouTube video id; write the id from the video URL (the v=… part of https://www.youtube.com/watch?v=…)", n.videoID, n.videoID)
	}
}

func (youTubeParser) CanInterruptParagraph() bool { return true }
func (youTubeParser) CanAcceptIndentedLine() bool { return false }

type youTubeRenderer struct{}

func (youTubeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindYouTube, renderYouTube)
}

func renderYouTube(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*youTubeNode)
	if !n.valid() {
		_, _ = w.WriteString(`<div class="alert alert-danger video-error" role="note"><p>This video cannot be shown: <code>`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.videoID)))
		_, _ = w.WriteString("</code> is not a YouTube video id.</p></div>\n")
		return ast.WalkSkipChildren, nil
	}
	title := n.title
	if title == "" {
		title = "YouTube video"
	}
	// The id matched youTubeIDRE, so it needs no escaping inside the URLs.
	_, _ = w.WriteString(`<figure class="video"><div class="video-frame"><iframe src="https://www.youtube-nocookie.com/embed/`)
	_, _ = w.WriteString(n.videoID)
	_, _ = w.WriteString(`" loading="lazy" title="`)
	_, _ = w.Write(util.EscapeHTML([]byte(title)))
	_, _ = w.WriteString(`" allow="accelerometer; encrypted-media; picture-in-picture" allowfullscreen referrerpolicy="strict-origin-when-cross-origin"></iframe></div>`)
	_, _ = w.WriteString(`<figcaption><a href="https://www.youtube.com/watch?v=`)
	_, _ = w.WriteString(n.videoID)
	_, _ = w.WriteString(`" rel="noopener">Watch on YouTube</a></figcaption></figure>` + "\n")
	return ast.WalkSkipChildren, nil
}

func extendYouTube(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithBlockParsers(prioritized(youTubeParser{}, prioBlockParser)))
	addRenderer(m, youTubeRenderer{})
}
