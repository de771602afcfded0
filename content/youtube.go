package content

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
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
	video
	title string
}

// video is what a <youtube> tag or shortcode asks for: an id, and where to
// start and end playing (seconds, 0 for the default).
type video struct {
	written    string // as the author wrote it
	videoID    string
	start, end int
	fix        string // a warning for the author, when the id was written loosely
}

// timeRE reads YouTube's times: 90, 90s, 1m30s, 1h2m3s.
var timeRE = regexp.MustCompile(`^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$`)

func seconds(s string) (int, bool) {
	m := timeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || s == "" {
		return 0, false
	}
	n := 0
	for i, mult := range []int{3600, 60, 1} {
		if m[i+1] != "" {
			v, _ := strconv.Atoi(m[i+1])
			n += v * mult
		}
	}
	return n, true
}

// parseVideo reads what authors write between <youtube> and </youtube>:
// ID, ID?start=72&end=305, ID?t=90, and the loose forms left from a copied
// URL (ID&t=90s, https://www.youtube.com/watch?v=ID&t=90, https://youtu.be/ID),
// which still play but get a warning with the clean form.
func parseVideo(raw string) video {
	v := video{written: raw}
	s := strings.TrimSpace(raw)
	loose := false
	if u, err := url.Parse(s); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		loose = true
		q := u.Query()
		switch {
		case q.Get("v") != "":
			s = q.Get("v")
		default:
			s = strings.TrimPrefix(path.Base(u.Path), "/")
		}
		q.Del("v")
		if len(q) > 0 {
			s += "?" + q.Encode()
		}
	}
	id, rest, hasQuery := strings.Cut(s, "?")
	if !hasQuery {
		if i := strings.IndexByte(id, '&'); i >= 0 {
			id, rest, loose = id[:i], id[i+1:], true
		}
	}
	v.videoID = id
	for _, kv := range strings.Split(rest, "&") {
		k, val, _ := strings.Cut(kv, "=")
		n, ok := seconds(val)
		switch {
		case k == "" || !ok && (k == "start" || k == "end" || k == "t"):
			continue
		case k == "start" || k == "t":
			v.start = n
		case k == "end":
			v.end = n
		}
	}
	if loose && youTubeIDRE.MatchString(v.videoID) {
		v.fix = v.clean()
	}
	return v
}

// clean is the form to write: ID, with ?start= and &end= when set.
func (v video) clean() string {
	s := v.videoID
	sep := "?"
	if v.start > 0 {
		s += sep + "start=" + strconv.Itoa(v.start)
		sep = "&"
	}
	if v.end > 0 {
		s += sep + "end=" + strconv.Itoa(v.end)
	}
	return s
}

// embedQuery is the player's query string for the start and end.
func (v video) embedQuery() string {
	if v.start == 0 && v.end == 0 {
		return ""
	}
	return "?" + strings.TrimPrefix(v.clean(), v.videoID+"?")
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

func (v video) valid() bool { return youTubeIDRE.MatchString(v.videoID) }

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
	written := strings.TrimSpace(string(inner.Value(reader.Source())))
	if written == "" {
		written = attrs["id"]
	}
	n := &youTubeNode{video: parseVideo(written), title: attrs["title"]}
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}

func (youTubeParser) Continue(ast.Node, text.Reader, parser.Context) parser.State {
	return parser.Close
}

func (youTubeParser) Close(node ast.Node, _ text.Reader, pc parser.Context) {
	n := node.(*youTubeNode)
	n.video.report(courseOf(pc), n.Pos())
}

// report tells the author about an id that is not one, or a loose form.
func (v video) report(c *courseContext, pos int) {
	switch {
	case !v.valid():
		c.errorAt(pos, "<youtube>%s</youtube>: %q is not a YouTube video id; write the id from the video URL (the v=… part of https://www.youtube.com/watch?v=…)", v.written, v.videoID)
	case v.fix != "":
		c.warningAt(pos, "<youtube>%s</youtube> is the rest of a copied URL; the video plays, but write <youtube>%s</youtube> (start= and end= in seconds)", v.written, v.fix)
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
	writeVideo(w, n.video, n.title)
	return ast.WalkSkipChildren, nil
}

// writeVideo writes the player for a <youtube> tag or shortcode.
func writeVideo(w util.BufWriter, n video, title string) {
	if !n.valid() {
		_, _ = w.WriteString(`<div class="alert alert-danger video-error" role="note"><p>This video cannot be shown: <code>`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.videoID)))
		_, _ = w.WriteString("</code> is not a YouTube video id.</p></div>\n")
		return
	}
	if title == "" {
		title = "YouTube video"
	}
	// The id matched youTubeIDRE and the query holds digits only, so they
	// need no escaping inside the URLs.
	_, _ = w.WriteString(`<figure class="video"><div class="video-frame"><iframe src="https://www.youtube-nocookie.com/embed/`)
	_, _ = w.WriteString(n.videoID)
	_, _ = w.Write(util.EscapeHTML([]byte(n.embedQuery())))
	_, _ = w.WriteString(`" loading="lazy" title="`)
	_, _ = w.Write(util.EscapeHTML([]byte(title)))
	_, _ = w.WriteString(`" allow="accelerometer; encrypted-media; picture-in-picture" allowfullscreen referrerpolicy="strict-origin-when-cross-origin"></iframe></div>`)
	_, _ = w.WriteString(`<figcaption><a href="https://www.youtube.com/watch?v=`)
	_, _ = w.WriteString(n.videoID)
	if n.start > 0 {
		_, _ = w.WriteString("&amp;t=" + strconv.Itoa(n.start) + "s")
	}
	_, _ = w.WriteString(`" rel="noopener">Watch on YouTube</a></figcaption></figure>` + "\n")
}

func extendYouTube(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithBlockParsers(prioritized(youTubeParser{}, prioBlockParser)))
	addRenderer(m, youTubeRenderer{})
}
