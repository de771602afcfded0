package server

import (
	"net/http"
	"strings"
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
	pages   map[string][]byte
}

func (pc *pageCache) get(cat *content.Catalog, key string) ([]byte, bool) {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	if pc.catalog != cat {
		return nil, false
	}
	b, ok := pc.pages[key]
	return b, ok
}

func (pc *pageCache) put(cat *content.Catalog, key string, page []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.catalog != cat {
		pc.catalog = cat
		pc.pages = map[string][]byte{}
	}
	pc.pages[key] = page
}

// renderShared renders a page that does not depend on who asks, once per
// catalog, and serves later requests from the cache. The few bits that do
// depend on the learner (a section's read mark) are slots in the cached page,
// filled per request from slots (see slotMarker).
func (s *Server) renderShared(c echo.Context, cat *content.Catalog, key, name string, slots map[string]string, data func() any) error {
	b, ok := s.cache.get(cat, key)
	if !ok {
		var err error
		if b, err = s.execute(name, data()); err != nil {
			return err
		}
		s.cache.put(cat, key, b)
	}
	return s.writePage(c, http.StatusOK, fillSlots(b, slots))
}

// slotMarker is the HTML comment a template leaves where per-learner
// content goes; unfilled, it shows nothing.
func slotMarker(kind, key string) string { return "<!--slot:" + kind + ":" + key + "-->" }

// fillSlots replaces slot markers by their content. The cached page is never
// modified.
func fillSlots(page []byte, slots map[string]string) []byte {
	if len(slots) == 0 {
		return page
	}
	pairs := make([]string, 0, 2*len(slots))
	for marker, html := range slots {
		pairs = append(pairs, marker, html)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(page)))
}
