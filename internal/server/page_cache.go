package server

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
)

// pageCache keeps rendered pages that are the same for every learner, so a
// section page costs one map lookup instead of a template execution. It is
// emptied whenever the catalog changes (a course folder was edited).
type pageCache struct {
	mu      sync.RWMutex
	catalog *content.Catalog
	pages   map[string]slottedPage
}

func (pc *pageCache) get(cat *content.Catalog, key string) (slottedPage, bool) {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	if pc.catalog != cat {
		return slottedPage{}, false
	}
	b, ok := pc.pages[key]
	return b, ok
}

// maxCachedPages bounds the cache: pages rendered per learner (lab details)
// would otherwise grow it with every learner who ever came.
const maxCachedPages = 4096

func (pc *pageCache) put(cat *content.Catalog, key string, page slottedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.catalog != cat || len(pc.pages) >= maxCachedPages {
		pc.catalog = cat
		pc.pages = map[string]slottedPage{}
	}
	pc.pages[key] = page
}

// renderShared renders a page that does not depend on who asks, once per
// catalog, and serves later requests from the cache. The few bits that do
// depend on the learner (a section's read mark) are slots in the cached page,
// filled per request from slots (see slotMarker).
func (s *Server) renderShared(c echo.Context, cat *content.Catalog, key, name string, slots map[string]string, data func() any) error {
	p, ok := s.cache.get(cat, key)
	if !ok {
		b, err := s.execute(name, data())
		if err != nil {
			return err
		}
		p = splitSlots(b)
		s.cache.put(cat, key, p)
	}
	return s.streamPage(c, p, slots)
}

// streamPage sends a cached page with its slots filled. The parts are
// copied into one pooled buffer and written at once: written part by part,
// each part went through net/http's buffers on its own, and a page cost
// ten write system calls instead of two.
func (s *Server) streamPage(c echo.Context, p slottedPage, slots map[string]string) error {
	size := p.size
	for _, m := range p.markers {
		size += len(slots[m]) - len(m)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", echo.MIMETextHTMLCharsetUTF8)
	h.Set("Content-Length", strconv.Itoa(size))
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	buf := pageBuffers.Get().(*[]byte)
	out := p.appendFilled((*buf)[:0], slots)
	_, _ = c.Response().Write(out) // an error: the client went away
	if cap(out) <= maxPooledPage {
		*buf = out
		pageBuffers.Put(buf)
	}
	return nil
}

// pageBuffers hold filled pages between requests; a page larger than
// maxPooledPage is not kept.
var pageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooledPage = 1 << 20

// slotMarker is the HTML comment a template leaves where per-learner
// content goes; unfilled, it shows nothing.
func slotMarker(kind, key string) string { return "<!--slot:" + kind + ":" + key + "-->" }

// slottedPage is a rendered page cut at its slot markers, so that filling
// the slots for a request is one pass of copies: parts[i] comes before
// marker i, and the last part ends the page.
type slottedPage struct {
	parts   [][]byte
	markers []string
	size    int
}

const slotOpen, slotClose = "<!--slot:", "-->"

func splitSlots(page []byte) slottedPage {
	p := slottedPage{size: len(page)}
	rest := page
	for {
		i := bytes.Index(rest, []byte(slotOpen))
		if i < 0 {
			break
		}
		j := bytes.Index(rest[i:], []byte(slotClose))
		if j < 0 {
			break
		}
		end := i + j + len(slotClose)
		p.parts = append(p.parts, rest[:i])
		p.markers = append(p.markers, string(rest[i:end]))
		rest = rest[end:]
	}
	p.parts = append(p.parts, rest)
	return p
}

// appendFilled appends the page with each marker replaced by its content
// in slots, or by nothing. The cached parts are never modified.
func (p slottedPage) appendFilled(out []byte, slots map[string]string) []byte {
	for i, m := range p.markers {
		out = append(out, p.parts[i]...)
		out = append(out, slots[m]...)
	}
	return append(out, p.parts[len(p.parts)-1]...)
}

// fill returns a new page with its slots filled.
func (p slottedPage) fill(slots map[string]string) []byte {
	return p.appendFilled(make([]byte, 0, p.size+256*len(slots)), slots)
}

// fillSlots fills a page rendered for one request.
func fillSlots(page []byte, slots map[string]string) []byte {
	return splitSlots(page).fill(slots)
}
