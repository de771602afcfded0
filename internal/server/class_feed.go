package server

import "sync"

// classFeed tells the instructor dashboards that some learner's progress
// changed. A notification carries no data: a dashboard re-reads the table,
// and several changes in a burst collapse into one wake-up.
type classFeed struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (f *classFeed) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan struct{}]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

func (f *classFeed) notify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default: // already pending
		}
	}
}

// notifyClass wakes the instructor dashboards.
func (s *Server) notifyClass() { s.class.notify() }
