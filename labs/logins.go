package labs

import (
	"net"
	"sync"
	"time"
)

// Failed MQTT logins are counted per source address: past loginFailures
// within loginWindow, each further wrong password from that address is
// answered only after loginDelay (at most loginSlowed connections wait at
// once; past that they are refused at once). A learner who mistypes gets a
// few quick tries; a script aiming at a classmate's username, reconnecting
// as fast as it can, is slowed to one try a second per connection.
const (
	loginFailures = 10
	loginWindow   = time.Minute
	loginDelay    = time.Second
	loginSlowed   = 64
	loginAddrs    = 4096 // addresses tracked at most; past it the oldest window is forgotten
)

// loginGuard counts failed logins per source address.
type loginGuard struct {
	mu     sync.Mutex
	addrs  map[string]*loginWindowCount
	slowed int // connections waiting in slowDown
}

type loginWindowCount struct {
	since    time.Time
	failures int
}

// sourceAddr is the address part of a connection's remote address (the port
// changes with every connection).
func sourceAddr(c net.Conn) string {
	a := c.RemoteAddr()
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// failed counts a failed login from addr and reports whether the address
// is past its allowance.
func (g *loginGuard) failed(addr string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.addrs == nil {
		g.addrs = map[string]*loginWindowCount{}
	}
	w := g.addrs[addr]
	if w == nil || now.Sub(w.since) >= loginWindow {
		if w == nil && len(g.addrs) >= loginAddrs {
			g.forgetOldest(now)
		}
		w = &loginWindowCount{since: now}
		g.addrs[addr] = w
	}
	w.failures++
	return w.failures > loginFailures
}

// slowDown holds a refused connection for loginDelay before its CONNACK, so
// that a guessing script waits; a bounded number wait at once, the others
// are refused right away rather than hold the server's connections.
func (g *loginGuard) slowDown() {
	g.mu.Lock()
	if g.slowed >= loginSlowed {
		g.mu.Unlock()
		return
	}
	g.slowed++
	g.mu.Unlock()
	time.Sleep(loginDelay)
	g.mu.Lock()
	g.slowed--
	g.mu.Unlock()
}

// forgetOldest drops the windows that are over, or else the oldest one, so
// that many addresses cannot grow the table without bound.
func (g *loginGuard) forgetOldest(now time.Time) {
	var oldest string
	var at time.Time
	for a, w := range g.addrs {
		if now.Sub(w.since) >= loginWindow {
			delete(g.addrs, a)
			continue
		}
		if oldest == "" || w.since.Before(at) {
			oldest, at = a, w.since
		}
	}
	if len(g.addrs) >= loginAddrs {
		delete(g.addrs, oldest)
	}
}
