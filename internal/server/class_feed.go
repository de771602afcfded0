package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

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

// The PostgreSQL notification channels that carry the class across the
// nodes of a cluster. Payloads are ids only; what changed is read from the
// database.
const (
	// channelClass: some learner's progress changed; the payload is the
	// node that wrote it (which has woken its own dashboards already).
	channelClass = "courselab_class"
	// channelReset: the instructor reset a learner's lab; the payload is
	// "<node> <learner>", so the node holding the sandbox drops it.
	channelReset = "courselab_reset"
)

// clusterNotifyTimeout bounds how long a request waits to tell the other
// nodes; the change itself is already committed.
const clusterNotifyTimeout = 2 * time.Second

// newNodeID names this process among the nodes of a cluster.
func newNodeID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notifyClass wakes the instructor dashboards: this node's at once, and
// through the database every other node's.
func (s *Server) notifyClass() {
	s.class.notify()
	s.tellCluster(channelClass, s.node)
}

// tellCluster sends a notification to the other nodes when the database is
// shared. A failure is logged, not returned: what changed is committed,
// and a dashboard that missed it catches up on its next reload.
func (s *Server) tellCluster(channel, payload string) {
	if !s.store.Shared() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterNotifyTimeout)
	defer cancel()
	if err := s.store.Notify(ctx, channel, payload); err != nil {
		s.log.Warn("could not tell the other nodes", "channel", channel, "err", err)
	}
}

// resetLab drops a learner's sandbox wherever it lives: here, and through
// the database on the node that holds it.
func (s *Server) resetLab(learner string) {
	s.labs.Reclaim(learner)
	s.reads.forget(learner)
	s.tellCluster(channelReset, s.node+" "+learner)
}

// listenCluster follows the other nodes' notifications until the returned
// stop is called. After each (re)connection of the listener the dashboards
// reload the whole table, since notifications sent meanwhile are lost.
func (s *Server) listenCluster() (stop func()) {
	if !s.store.Shared() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.store.Listen(ctx, []string{channelClass, channelReset}, s.class.notify, s.clusterEvent)
	}()
	return func() { cancel(); <-done }
}

// clusterEvent handles one notification from the database.
func (s *Server) clusterEvent(channel, payload string) {
	switch channel {
	case channelClass:
		if payload != s.node {
			s.class.notify()
		}
	case channelReset:
		node, learner, ok := strings.Cut(payload, " ")
		if !ok || node == s.node {
			return
		}
		if s.labs.Lookup(learner) != nil {
			s.log.Info("lab reset by instructor on another node", "learner", learner)
		}
		s.labs.Reclaim(learner)
		s.reads.forget(learner)
		s.class.notify()
	}
}
