// Package throttle limits how often one source address may do something
// costly or guessable (join the class, try the instructor token): a token
// bucket per address, forgotten once it is full again, so that the memory it
// takes stays bounded by the addresses active in the last few minutes.
package throttle

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PerAddr is a set of token buckets keyed by source address. The zero value
// is not usable; build one with New.
type PerAddr struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

// New allows each address burst actions at once, then one per every.
func New(every time.Duration, burst int) *PerAddr {
	return &PerAddr{every: every, burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

// Allow takes one action's token for addr. When none is left it returns
// false and how long until the next one. A nil PerAddr allows everything.
func (p *PerAddr) Allow(addr string) (ok bool, retryAfter time.Duration) {
	if p == nil {
		return true, 0
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	b := p.buckets[addr]
	if b == nil {
		b = rate.NewLimiter(rate.Every(p.every), p.burst)
		p.buckets[addr] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	r := b.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// sweep forgets, at most once a minute, the buckets that have refilled: an
// address that comes back gets a full bucket, which is what it would have.
func (p *PerAddr) sweep(now time.Time) {
	if now.Sub(p.swept) < time.Minute {
		return
	}
	p.swept = now
	for addr, b := range p.buckets {
		if b.TokensAt(now) >= float64(p.burst) {
			delete(p.buckets, addr)
		}
	}
}

// Len is how many addresses have a bucket that is not full.
func (p *PerAddr) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buckets)
}
