package server

import (
	"net/http"
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
// catalog, and serves later requests from the cache.
func (s *Server) renderShared(c echo.Context, cat *content.Catalog, key, name string, data func() any) error {
	if b, ok := s.cache.get(cat, key); ok {
		return s.writePage(c, http.StatusOK, b)
	}
	b, err := s.execute(name, data())
	if err != nil {
		return err
	}
	s.cache.put(cat, key, b)
	return s.writePage(c, http.StatusOK, b)
}
