package check

import (
	"context"
	"time"

	"github.com/courselab/courselab/labs"
)

// Reading the sandbox: its journal, live or past, and its sessions.

// pollEvery backs up the journal's live stream, which drops events for a
// slow reader: every so often the checks re-read the journal anyway.
const pollEvery = 200 * time.Millisecond

// watch feeds scan the journal's events after seq (possibly none) until scan
// reports it is done, ctx ends, d passes or the sandbox closes. It reports
// whether scan finished.
func watch(ctx context.Context, sb *labs.Sandbox, seq uint64, d time.Duration, scan func([]labs.Event) bool) bool {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	live := sb.Journal().Subscribe(wctx)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		evs := sb.Journal().Since(seq)
		if len(evs) > 0 {
			seq = evs[len(evs)-1].Seq
		}
		if scan(evs) {
			return true
		}
		select {
		case <-wctx.Done():
			return false
		case _, ok := <-live:
			if !ok {
				if wctx.Err() != nil || sb.Closed() {
					return false
				}
				live = nil
			}
		case <-tick.C:
		}
	}
}

// connected keeps the sessions whose client is connected now.
func connected(ss []labs.Session) []labs.Session {
	var out []labs.Session
	for _, s := range ss {
		if s.Connected {
			out = append(out, s)
		}
	}
	return out
}

// filters lists a session's subscription filters.
func filters(s labs.Session) []string {
	out := make([]string, 0, len(s.Subscriptions))
	for _, sub := range s.Subscriptions {
		out = append(out, sub.Filter)
	}
	return out
}

// matching returns the session's subscription that matches topic with the
// highest QoS.
func matching(s labs.Session, topic string) (labs.Subscription, bool) {
	var best labs.Subscription
	found := false
	for _, sub := range s.Subscriptions {
		if matches(sub.Filter, topic) && (!found || sub.QoS > best.QoS) {
			best, found = sub, true
		}
	}
	return best, found
}

// closest returns the session's filter that comes nearest to matching topic.
func closest(s labs.Session, topic string) string {
	best, n := "", -1
	for _, sub := range s.Subscriptions {
		if m := matchedLevels(sub.Filter, topic); m > n {
			best, n = sub.Filter, m
		}
	}
	return best
}

// samePayload compares a journal excerpt with the payload it was cut from.
func samePayload(excerpt, payload string) bool {
	if len(payload) > labs.PayloadExcerpt {
		return len(excerpt) <= len(payload) && excerpt != "" && payload[:len(excerpt)] == excerpt
	}
	return excerpt == payload
}

// stamp is an event time for evidence.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
