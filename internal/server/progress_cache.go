package server

import (
	"context"
	"errors"
	"sync"

	"github.com/courselab/courselab/internal/store"
)

// readSections remembers, per learner, which sections they have read, so a
// page view costs a map lookup and only the first view of a section writes
// to the database. It is filled from the store the first time a learner is
// seen after a start.
type readSections struct {
	mu        sync.Mutex
	byLearner map[string]map[string]bool // learner → "course\x00section"
}

func readKey(course, section string) string { return course + "\x00" + section }

// load returns the learner's read set, reading it from the store once.
func (r *readSections) load(ctx context.Context, st *store.Store, learner string) (map[string]bool, error) {
	r.mu.Lock()
	set, ok := r.byLearner[learner]
	r.mu.Unlock()
	if ok {
		return set, nil
	}
	progress, err := st.Progress(ctx, learner)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	fresh := map[string]bool{}
	for course, p := range progress {
		for section := range p.Sections {
			fresh[readKey(course, section)] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byLearner == nil {
		r.byLearner = map[string]map[string]bool{}
	}
	if set, ok := r.byLearner[learner]; ok {
		return set, nil
	}
	r.byLearner[learner] = fresh
	return fresh, nil
}

// has reports whether the learner read the section, under the lock.
func (r *readSections) has(set map[string]bool, course, section string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return set[readKey(course, section)]
}

// snapshot copies the course's read sections for rendering.
func (r *readSections) snapshot(set map[string]bool, course string, slugs []string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, s := range slugs {
		if set[readKey(course, s)] {
			out[s] = true
		}
	}
	return out
}

func (r *readSections) mark(set map[string]bool, course, section string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set[readKey(course, section)] = true
}

// forget drops a learner's cached set (after a reset by the instructor).
func (r *readSections) forget(learner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byLearner, learner)
}
