package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Limits on the live event streams of one person (a learner's
// /api/lab/events, the instructor's /teach/events). A browser shares one
// stream between its tabs, so a learner on a laptop and a phone needs two;
// more are closed oldest first. Each new stream replays the journal, so
// opening them is rate-limited too: a page load every second goes through,
// a script opening thousands is refused after a burst.
const (
	streamsPerPerson = 4
	streamBurst      = 30
	streamEvery      = time.Second // one more stream allowed per interval
)

// errSuperseded ends a stream that a newer one of the same person replaced.
var errSuperseded = errors.New("a newer event stream of the same person replaced this one")

// tooManyStreams is the refusal past the rate limit.
func tooManyStreams() error {
	return echo.NewHTTPError(http.StatusTooManyRequests,
		"Too many live connections were opened from your session in a short time. Close some tabs; the console reconnects by itself in a few seconds.")
}

// streamCap bounds the live streams per person.
type streamCap struct {
	mu     sync.Mutex
	people map[string]*personStreams
}

// personStreams are one person's live streams, oldest first, and their
// allowance of new ones (a token bucket).
type personStreams struct {
	live   []*liveStream
	tokens float64
	at     time.Time // when tokens was last refilled
}

type liveStream struct{ cancel context.CancelCauseFunc }

// open registers a new stream of who. The returned context ends when the
// request does or when a newer stream of who supersedes this one
// (context.Cause is then errSuperseded); call release when the stream ends.
func (c *streamCap) open(ctx context.Context, who string) (context.Context, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.people == nil {
		c.people = map[string]*personStreams{}
	}
	p := c.people[who]
	if p == nil {
		p = &personStreams{tokens: streamBurst, at: now}
		c.people[who] = p
	}
	p.tokens = min(streamBurst, p.tokens+float64(now.Sub(p.at))/float64(streamEvery))
	p.at = now
	if p.tokens < 1 {
		return nil, nil, tooManyStreams()
	}
	p.tokens--
	for len(p.live) >= streamsPerPerson {
		p.live[0].cancel(errSuperseded)
		p.live = p.live[1:]
	}
	sctx, cancel := context.WithCancelCause(ctx)
	ls := &liveStream{cancel: cancel}
	p.live = append(p.live, ls)
	release := func() {
		cancel(context.Canceled)
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range p.live {
			if x == ls {
				p.live = append(p.live[:i:i], p.live[i+1:]...)
				break
			}
		}
		if len(p.live) == 0 && p.tokens >= streamBurst-1 && c.people[who] == p {
			delete(c.people, who) // nothing to remember: forget the person
		}
	}
	return sctx, release, nil
}

// errShuttingDown ends the streams of a server that is stopping.
var errShuttingDown = errors.New("the server is stopping")

// endAll ends every live stream with cause. A stream never ends by itself,
// so a graceful shutdown would otherwise wait for each open dashboard and
// lab console until its deadline; their browsers reconnect (to another
// node of a cluster).
func (c *streamCap) endAll(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.people {
		for _, ls := range p.live {
			ls.cancel(cause)
		}
	}
}

// liveCount is how many streams of who are open, for tests.
func (c *streamCap) liveCount(who string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.people[who]; p != nil {
		return len(p.live)
	}
	return 0
}

// superseded reports whether a stream's context ended because a newer one
// replaced it.
func superseded(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errSuperseded) }
