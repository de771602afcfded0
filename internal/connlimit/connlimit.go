// Package connlimit caps the connections a listener holds open: in total,
// and per source address, so that one machine opening thousands of
// connections (slow request bodies, idle MQTT sockets) cannot exhaust the
// server's file descriptors or crowd out its classmates. A connection over
// a cap is refused the moment it is accepted, before anything is read from
// it: the refusal costs one accept and one close.
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
	byAddr map[netip.Addr]int

	refusedTotal, refusedPerAddr atomic.Int64
}

// Wrap returns ln with the caps of lim.
func Wrap(ln net.Listener, lim Limits) *Listener {
	return &Listener{Listener: ln, lim: lim, byAddr: map[netip.Addr]int{}}
}

// Accept waits for the next connection within the caps, refusing (closing)
// every one over them on the way.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteAddr(c)
		if reason := l.admit(addr); reason != 0 {
			l.refuse(c, reason)
			continue
		}
		return &conn{Conn: c, l: l, addr: addr}, nil
	}
}

// admit takes a place for addr, or says which cap is full.
func (l *Listener) admit(addr netip.Addr) Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.Total > 0 && l.total >= l.lim.Total {
		return OverTotal
	}
	capped := l.lim.PerAddr > 0 && (l.lim.Exempt == nil || !l.lim.Exempt(addr))
	if capped && l.byAddr[addr] >= l.lim.PerAddr {
		return OverPerAddr
	}
	l.total++
	l.byAddr[addr]++
	return 0
}

func (l *Listener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if n := l.byAddr[addr] - 1; n > 0 {
		l.byAddr[addr] = n
	} else {
		delete(l.byAddr, addr)
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
}

// Stats returns the listener's counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.total, Addrs: len(l.byAddr),
		RefusedTotal: l.refusedTotal.Load(), RefusedPerAddr: l.refusedPerAddr.Load()}
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
	l      *Listener
	addr   netip.Addr
	closed atomic.Bool
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.addr)
	}
	return err
}
