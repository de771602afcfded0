package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// classFeed tells the instructor dashboards whose progress changed. A
// notification carries a class and learner ids only: a dashboard of that
// class re-reads those rows it shows and sends the cells that differ, and
// several changes in a burst collapse into one wake-up. A dashboard of
// another class is not woken, nor one whose full page does not show the
// learner: in a busy class most changes concern learners on other pages,
// and collecting them would soon overflow maxPendingRows and make every
// dashboard re-read the whole class again and again.
type classFeed struct {
	mu   sync.Mutex
	subs map[*classSub]struct{}
}

// classSub is one dashboard's pending changes.
type classSub struct {
	class    string // the class the dashboard shows
	ch       chan struct{}
	learners map[string]struct{}
	all      bool // something unknown changed: the whole view is read again
	// shown: the learners on the dashboard's page, nil until it is sent
	// (then every learner counts). takesNew: the page has room for a
	// learner it does not show yet, so their change re-reads the page.
	shown    map[string]struct{}
	takesNew bool
}

// subscribe follows the changes of class.
func (f *classFeed) subscribe(class string) (*classSub, func()) {
	sub := &classSub{class: class, ch: make(chan struct{}, 1), learners: map[string]struct{}{}}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[*classSub]struct{}{}
	}
	f.subs[sub] = struct{}{}
	f.mu.Unlock()
	return sub, func() {
		f.mu.Lock()
		delete(f.subs, sub)
		f.mu.Unlock()
	}
}

// notify wakes the dashboards of class for learner's row. An empty class
// (a learner whose class is unknown, or a notification from an older node)
// wakes every dashboard; an empty learner means that the whole class may
// have changed (a lost notification, say).
func (f *classFeed) notify(class, learner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		if class != "" && sub.class != class {
			continue
		}
		_, onPage := sub.shown[learner]
		switch {
		case learner == "" || len(sub.learners) >= maxPendingRows:
			sub.all = true
		case sub.shown == nil || onPage:
			sub.learners[learner] = struct{}{}
		case sub.takesNew:
			sub.all = true
		default:
			continue // not on this dashboard's page
		}
		select {
		case sub.ch <- struct{}{}:
		default: // already pending
		}
	}
}

// show tells the feed which learners sub's page shows, and whether it has
// room for more.
func (f *classFeed) show(sub *classSub, learners []string, takesNew bool) {
	shown := make(map[string]struct{}, len(learners))
	for _, id := range learners {
		shown[id] = struct{}{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sub.shown, sub.takesNew = shown, takesNew
}

// notifyAll is notify for every learner of every class.
func (f *classFeed) notifyAll() { f.notify("", "") }

// maxPendingRows bounds the learners a dashboard collects between two
// sends; past it, re-reading its page is cheaper than row by row.
const maxPendingRows = 200

// take returns and clears what changed since the last take.
func (f *classFeed) take(sub *classSub) (learners []string, all bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id := range sub.learners {
		learners = append(learners, id)
	}
	all = sub.all
	sub.learners, sub.all = map[string]struct{}{}, false
	return learners, all
}

// The PostgreSQL notification channels that carry the class across the
// nodes of a cluster. Payloads are ids only; what changed is read from the
// database.
const (
	// channelClass: some learner's progress changed; the payload is
	// "<node> <learner> <class>", the node that wrote it (which has woken
	// its own dashboards already), whose row changed and in which class.
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

// notifyClass wakes the dashboards of learner's class for learner's row:
// this node's at once, and through the database every other node's.
func (s *Server) notifyClass(learner string) {
	class := s.classOf(learner)
	s.class.notify(class, learner)
	s.tellCluster(channelClass, s.node+" "+learner+" "+class)
}

// classOf returns the class learner joined, "" when it cannot be read. A
// learner never changes class, so the answer is kept: a progress change
// costs no extra query.
func (s *Server) classOf(learner string) string {
	if v, ok := s.learnerClasses.Load(learner); ok {
		return v.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterNotifyTimeout)
	defer cancel()
	l, err := s.store.Learner(ctx, learner)
	if err != nil {
		return ""
	}
	s.learnerClasses.Store(learner, l.Class)
	return l.Class
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
	s.labs.Reset(learner, labResetNotice)
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
		s.store.Listen(ctx, []string{channelClass, channelReset}, s.class.notifyAll, s.clusterEvent)
	}()
	return func() { cancel(); <-done }
}

// clusterEvent handles one notification from the database.
func (s *Server) clusterEvent(channel, payload string) {
	switch channel {
	case channelClass:
		// An older node sends no class, or its id alone: then any
		// dashboard, or any row, may have changed.
		node, rest, _ := strings.Cut(payload, " ")
		learner, class, _ := strings.Cut(rest, " ")
		if node != s.node {
			s.class.notify(class, learner)
		}
	case channelReset:
		node, learner, ok := strings.Cut(payload, " ")
		if !ok || node == s.node {
			return
		}
		if s.labs.Reset(learner, labResetNotice) {
			s.log.Info("lab reset by instructor on another node", "learner", learner)
		}
		s.reads.forget(learner)
		s.class.notify(s.classOf(learner), learner)
	}
}
