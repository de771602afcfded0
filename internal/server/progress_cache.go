package server

import (
	"context"
	"errors"
	"sync"

	"github.com/courselab/courselab/internal/store"
)

// learnerMarks remembers, per learner, what they have done: sections read,
// quizzes answered right, exercises passed. A page view costs a map lookup;
// the set is read from the store the first time a learner is seen after a
// start, and again after their progress changes (forget).
type learnerMarks struct {
	mu        sync.Mutex
	byLearner map[string]*doneSet
}

// doneSet is one learner's progress, keyed "course\x00id".
type doneSet struct {
	read, quizzes, exercises map[string]bool
}

func readKey(course, id string) string { return course + "\x00" + id }

// load returns the learner's set, reading it from the store when unknown.
func (r *learnerMarks) load(ctx context.Context, st *store.Store, learner string) (*doneSet, error) {
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
	fresh := &doneSet{read: map[string]bool{}, quizzes: map[string]bool{}, exercises: map[string]bool{}}
	for course, p := range progress {
		for section := range p.Sections {
			fresh.read[readKey(course, section)] = true
		}
		for quiz, q := range p.Quizzes {
			if q.Correct {
				fresh.quizzes[readKey(course, quiz)] = true
			}
		}
		for ex, e := range p.Exercises {
			if e.Passed {
				fresh.exercises[readKey(course, ex)] = true
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byLearner == nil {
		r.byLearner = map[string]*doneSet{}
	}
	if set, ok := r.byLearner[learner]; ok {
		return set, nil
	}
	r.byLearner[learner] = fresh
	return fresh, nil
}

// hasRead reports whether the learner read the section, under the lock.
func (r *learnerMarks) hasRead(set *doneSet, course, section string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return set.read[readKey(course, section)]
}

// markRead records a read section in the cached set.
func (r *learnerMarks) markRead(set *doneSet, course, section string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set.read[readKey(course, section)] = true
}

// view calls fn with the set under the lock, for rendering.
func (r *learnerMarks) view(set *doneSet, fn func(*doneSet)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(set)
}

// forget drops a learner's cached set: their progress changed in the store.
func (r *learnerMarks) forget(learner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byLearner, learner)
}
