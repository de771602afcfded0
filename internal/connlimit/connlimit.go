// Package connlimit caps the connections a listener holds open: in total,
// and per source address, so that one machine opening thousands of
// connections (slow request bodies, idle MQTT sockets) cannot exhaust the
// server's file descriptors or crowd out its classmates. A connection over
// a cap is refused the moment it is accepted, before anything is read from
// it: the refusal costs one accept and one close.
//
// When the total is reached by many addresses together, the listener stays
// fair rather than first-come: a newcomer from an address holding fewer
// connections than the heaviest address takes the place of one of the
// heaviest's connections. A learner opening their first page therefore gets
// in even while a crowd of addresses holds every place.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are the caps of one listener. Zero means no cap.
type Limits struct {
	Total   int // connections open at once, all addresses together
	PerAddr int // connections open at once from one source address

	// Exempt reports addresses the per-address cap does not apply to (a
	// trusted reverse proxy carries a whole class on one address). The
	// total cap still applies to them. Nil exempts nobody.
	Exempt func(netip.Addr) bool

	// Refuse, when set, is given a refused connection before it is closed,
	// to write a short explanation (an HTTP 503, say). It runs on the accept
	// loop, so it must not block: the connection has a write deadline of
	// RefuseWriteTimeout already set.
	Refuse func(c net.Conn, reason Reason)
}

// RefuseWriteTimeout bounds what Limits.Refuse may spend writing.
const RefuseWriteTimeout = 50 * time.Millisecond

// Reason says which cap refused a connection.
type Reason int

// The caps a connection can be refused by.
const (
	OverTotal   Reason = iota + 1 // the listener holds Limits.Total connections
	OverPerAddr                   // the address holds Limits.PerAddr connections
)

func (r Reason) String() string {
	switch r {
	case OverTotal:
		return "server connection limit"
	case OverPerAddr:
		return "per-address connection limit"
	}
	return "unknown"
}

// Listener wraps a net.Listener with Limits. Its Accept returns only
// connections within the caps; closing one frees its place.
type Listener struct {
	net.Listener
	lim Limits

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]map[*conn]struct{}

	refusedTotal, refusedPerAddr, evicted atomic.Int64
}

// Wrap returns ln with the caps of lim.
func Wrap(ln net.Listener, lim Limits) *Listener {
	return &Listener{Listener: ln, lim: lim, byAddr: map[netip.Addr]map[*conn]struct{}{}}
}

// Accept waits for the next connection within the caps, refusing (closing)
// every one over them on the way.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		wc := &conn{Conn: c, l: l, addr: remoteAddr(c)}
		reason, victim := l.admit(wc)
		if reason != 0 {
			l.refuse(c, reason)
			continue
		}
		if victim != nil {
			l.evicted.Add(1)
			_ = victim.Close()
		}
		return wc, nil
	}
}

// admit takes a place for c, or says which cap is full. At the total cap it
// may take the place of a connection of the heaviest address, returned as
// victim for the caller to close.
func (l *Listener) admit(c *conn) (refused Reason, victim *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	exempt := l.lim.Exempt != nil && l.lim.Exempt(c.addr)
	held := len(l.byAddr[c.addr])
	if l.lim.PerAddr > 0 && !exempt && held >= l.lim.PerAddr {
		return OverPerAddr, nil
	}
	if l.lim.Total > 0 && l.total >= l.lim.Total {
		if victim = l.heaviestBut(c.addr, held+1); victim == nil {
			return OverTotal, nil
		}
	}
	set := l.byAddr[c.addr]
	if set == nil {
		set = map[*conn]struct{}{}
		l.byAddr[c.addr] = set
	}
	set[c] = struct{}{}
	l.total++
	return 0, victim
}

// heaviestBut returns a connection of the address holding the most, if
// that address holds more than than (and is not exempt: a trusted proxy
// speaks for many people), else nil.
func (l *Listener) heaviestBut(addr netip.Addr, than int) *conn {
	var heaviest map[*conn]struct{}
	for a, set := range l.byAddr {
		if a != addr && len(set) > than && len(set) > len(heaviest) && (l.lim.Exempt == nil || !l.lim.Exempt(a)) {
			heaviest = set
		}
	}
	for c := range heaviest {
		if !c.evicting {
			c.evicting = true
			return c
		}
	}
	return nil
}

func (l *Listener) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.byAddr[c.addr]
	if _, ok := set[c]; !ok {
		return
	}
	delete(set, c)
	l.total--
	if len(set) == 0 {
		delete(l.byAddr, c.addr)
	}
}

func (l *Listener) refuse(c net.Conn, reason Reason) {
	if reason == OverTotal {
		l.refusedTotal.Add(1)
	} else {
		l.refusedPerAddr.Add(1)
	}
	if l.lim.Refuse != nil {
		_ = c.SetWriteDeadline(time.Now().Add(RefuseWriteTimeout))
		l.lim.Refuse(c, reason)
	}
	_ = c.Close()
}

// Stats is a snapshot of a Listener's counters.
type Stats struct {
	Open           int   // connections open now
	Addrs          int   // distinct source addresses among them
	RefusedTotal   int64 // refused so far by the total cap
	RefusedPerAddr int64 // refused so far by the per-address cap
	Evicted        int64 // closed so far to make room for a lighter address
}

// Stats returns the listener's counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.total, Addrs: len(l.byAddr),
		RefusedTotal: l.refusedTotal.Load(), RefusedPerAddr: l.refusedPerAddr.Load(), Evicted: l.evicted.Load()}
}

// remoteAddr is c's source address without the port (IPv4-mapped IPv6
// addresses unmapped, so that one machine counts once).
func remoteAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// conn gives its place back when closed, once however often Close is
// called. A connection net/http hands over (WebSocket) keeps its place
// until whoever took it closes it.
type conn struct {
	net.Conn
	l        *Listener
	addr     netip.Addr
	evicting bool // chosen to make room; guarded by l.mu
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.l.release(c)
	return err
}
