// Package abuse throws at a running courselab what a hostile visitor would
// (connections that trickle a request body, MQTT sockets that never send
// CONNECT), while a learner already in the class goes on reading and
// pressing Check, and measures what that learner sees. The load command
// (cmd/courselab-load) runs it at full size against a server; the serve
// command's tests run it scaled down, in CI. Everything it dials is on
// loopback: it spreads its connections over 127.x.y.z source addresses,
// which Linux routes to the loopback interface with no set-up.
package abuse

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sources returns n loopback source addresses 127.second.x.y, skipping .0
// and .255 in the last byte, for an attack spread over n machines.
func Sources(second byte, n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for i := 0; len(out) < n && i < 1<<16; i++ {
		x, y := byte(i>>8), byte(i)
		if y == 0 || y == 255 {
			continue
		}
		out = append(out, netip.AddrFrom4([4]byte{127, second, x, y}))
	}
	return out
}

// dialFrom connects to target from the source address src.
func dialFrom(ctx context.Context, src netip.Addr, target string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 5 * time.Second}
	return d.DialContext(ctx, "tcp", target)
}

// Stats counts what happened to an attack's connections.
type Stats struct {
	Opened     atomic.Int64 // TCP connections established
	DialErrors atomic.Int64 // connects that failed (the kernel's backlog full, out of ports…)
	Refused    atomic.Int64 // answered 503 at once, or closed within RefusedWithin of opening
	TimedOut   atomic.Int64 // answered 408 (a body too slow), or closed by the server later on
	Held       atomic.Int64 // open right now
	MaxHeld    atomic.Int64 // the most open at once
}

// RefusedWithin is how soon after connecting a close without an answer
// counts as a refusal on accept rather than a timeout.
const RefusedWithin = 500 * time.Millisecond

func (s *Stats) hold() {
	n := s.Held.Add(1)
	for {
		m := s.MaxHeld.Load()
		if n <= m || s.MaxHeld.CompareAndSwap(m, n) {
			return
		}
	}
}

// String sums the counters up in one line.
func (s *Stats) String() string {
	return fmt.Sprintf("opened %d, refused %d, timed out %d, held at most %d (now %d), dial errors %d",
		s.Opened.Load(), s.Refused.Load(), s.TimedOut.Load(), s.MaxHeld.Load(), s.Held.Load(), s.DialErrors.Load())
}

// Attack is a number of connections kept open against one address: each
// one the server closes is opened again after Retry.
type Attack struct {
	Target  string        // host:port
	Conns   int           // connections to keep open
	Sources []netip.Addr  // spread round-robin over these source addresses
	Retry   time.Duration // wait before reopening a connection the server closed
	Ramp    time.Duration // open the connections over this long rather than at once
}

// SlowBodies runs a: every connection sends the headers of a POST /join
// with a large Content-Length, then one body byte every trickle, until the
// server answers or closes it, or ctx ends.
func SlowBodies(ctx context.Context, a Attack, trickle time.Duration, st *Stats) {
	head := []byte("POST /join HTTP/1.1\r\nHost: " + a.Target + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nname=")
	a.run(ctx, st, func(c net.Conn, opened time.Time) {
		if _, err := c.Write(head); err != nil {
			st.Refused.Add(1)
			return
		}
		buf := make([]byte, 64)
		for ctx.Err() == nil {
			_ = c.SetReadDeadline(time.Now().Add(trickle))
			n, err := c.Read(buf)
			if n > 0 {
				switch {
				case bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 503")):
					st.Refused.Add(1)
				default: // 408, or anything else ending the request
					st.TimedOut.Add(1)
				}
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				if _, err := c.Write([]byte("a")); err == nil {
					continue
				}
			}
			closedSilently(st, opened)
			return
		}
	})
}

// IdleMQTT runs a: every connection opens the MQTT port and sends nothing.
func IdleMQTT(ctx context.Context, a Attack, st *Stats) {
	a.run(ctx, st, func(c net.Conn, opened time.Time) {
		_, _ = c.Read(make([]byte, 1)) // returns when the server closes it, or ctx does
		if ctx.Err() == nil {
			closedSilently(st, opened)
		}
	})
}

func closedSilently(st *Stats, opened time.Time) {
	if time.Since(opened) < RefusedWithin {
		st.Refused.Add(1)
	} else {
		st.TimedOut.Add(1)
	}
}

// run keeps a.Conns connections going through hold until ctx ends.
func (a Attack) run(ctx context.Context, st *Stats, hold func(c net.Conn, opened time.Time)) {
	var wg sync.WaitGroup
	for i := range a.Conns {
		src := a.Sources[i%len(a.Sources)]
		delay := time.Duration(0)
		if a.Ramp > 0 {
			delay = a.Ramp * time.Duration(i) / time.Duration(a.Conns)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !sleep(ctx, delay) {
				return
			}
			for ctx.Err() == nil {
				c, err := dialFrom(ctx, src, a.Target)
				if err != nil {
					if ctx.Err() == nil {
						st.DialErrors.Add(1)
					}
					sleep(ctx, a.Retry)
					continue
				}
				st.Opened.Add(1)
				st.hold()
				stop := context.AfterFunc(ctx, func() { c.Close() })
				hold(c, time.Now())
				stop()
				c.Close()
				st.Held.Add(-1)
				sleep(ctx, a.Retry)
			}
		}()
	}
	wg.Wait()
}

// sleep waits d or until ctx ends; it reports whether ctx is still going.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
