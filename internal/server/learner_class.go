package server

import (
	"context"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
)

// classCacheTTL is how long a class read for a learner's pages is kept:
// every catalog view would otherwise read it. An edit on this node shows
// at once (forget); one on another node of a cluster within the TTL.
const classCacheTTL = 5 * time.Second

// classCache keeps classes by id for a few seconds.
type classCache struct {
	mu      sync.Mutex
	classes map[string]cachedClass
}

type cachedClass struct {
	class store.Class
	read  time.Time
}

func (cc *classCache) get(ctx context.Context, st *store.Store, id string) (store.Class, error) {
	cc.mu.Lock()
	if e, ok := cc.classes[id]; ok && time.Since(e.read) < classCacheTTL {
		cc.mu.Unlock()
		return e.class, nil
	}
	cc.mu.Unlock()
	class, err := st.Class(ctx, id)
	if err != nil {
		return store.Class{}, err
	}
	cc.mu.Lock()
	if cc.classes == nil {
		cc.classes = map[string]cachedClass{}
	}
	cc.classes[id] = cachedClass{class: class, read: time.Now()}
	cc.mu.Unlock()
	return class, nil
}

// forget drops class id, just saved.
func (cc *classCache) forget(id string) {
	cc.mu.Lock()
	delete(cc.classes, id)
	cc.mu.Unlock()
}

// learnerClass is the class of the learner asking: what their catalog
// lists first and their progress page shows. Personal mode, a visitor who
// has not joined and a class that cannot be read all get the default
// class's zero value, which takes every course.
func (s *Server) learnerClass(c echo.Context) store.Class {
	id, ok := s.learnerID(c)
	if !ok || !s.cfg.Classroom {
		return store.Class{}
	}
	classID := s.classOf(id)
	if classID == "" {
		return store.Class{}
	}
	class, err := s.classCache.get(c.Request().Context(), s.store, classID)
	if err != nil {
		s.log.Warn("read learner's class", "learner", id, "err", err)
		return store.Class{}
	}
	return class
}
