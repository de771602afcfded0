package connlimit_test

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/internal/connlimit"
)

// serve accepts on a capped loopback listener and keeps every accepted
// connection open (reading until the peer goes), like a server holding
// slow clients.
func serve(t *testing.T, lim connlimit.Limits) *connlimit.Listener {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := connlimit.Wrap(raw, lim)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return ln
}

// dialFrom connects from the loopback source address src (any 127.x.y.z
// works on Linux without set-up).
func dialFrom(t *testing.T, src, dst string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", dst)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether the server closed c without serving it.
func refused(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false // still open, waiting for us
	}
	return true // EOF or reset: closed on accept
}

func waitOpen(t *testing.T, ln *connlimit.Listener, want int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for ln.Stats().Open != want {
		if time.Now().After(deadline) {
			t.Fatalf("open connections: %d, want %d", ln.Stats().Open, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPerAddressCapRefusesOneMachineAndNotTheOthers(t *testing.T) {
	ln := serve(t, connlimit.Limits{Total: 100, PerAddr: 3})
	addr := ln.Addr().String()
	for range 3 {
		dialFrom(t, "127.0.0.2", addr)
	}
	waitOpen(t, ln, 3)
	if c := dialFrom(t, "127.0.0.2", addr); !refused(t, c) {
		t.Fatal("a 4th connection from 127.0.0.2 was kept open; the per-address cap is 3")
	}
	for _, other := range []string{"127.0.0.3", "127.0.0.4"} {
		if c := dialFrom(t, other, addr); refused(t, c) {
			t.Fatalf("%s was refused while only 127.0.0.2 is over its cap", other)
		}
	}
	if s := ln.Stats(); s.RefusedPerAddr != 1 || s.RefusedTotal != 0 || s.Open != 5 || s.Addrs != 3 {
		t.Fatalf("stats %+v, want 5 open from 3 addresses, 1 refused per address", s)
	}
}

func TestTotalCapRefusesEveryoneWhenAllHoldTheSameAndFreesPlacesOnClose(t *testing.T) {
	ln := serve(t, connlimit.Limits{Total: 4, PerAddr: 3})
	addr := ln.Addr().String()
	var held []net.Conn
	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.6"} {
		held = append(held, dialFrom(t, src, addr))
	}
	waitOpen(t, ln, 4)
	if c := dialFrom(t, "127.0.0.5", addr); !refused(t, c) {
		t.Fatal("a 5th connection was kept open; the total cap is 4")
	}
	held[0].Close()
	waitOpen(t, ln, 3)
	if c := dialFrom(t, "127.0.0.5", addr); refused(t, c) {
		t.Fatal("refused after a place was freed")
	}
	if s := ln.Stats(); s.RefusedTotal != 1 {
		t.Fatalf("stats %+v, want 1 refused by the total cap", s)
	}
}

// A crowd of addresses filling the total must not lock out a learner
// opening their first connection: the heaviest address gives up a place.
func TestAtTheTotalCapALighterAddressTakesAPlaceFromTheHeaviest(t *testing.T) {
	ln := serve(t, connlimit.Limits{Total: 4, PerAddr: 3})
	addr := ln.Addr().String()
	var heavy []net.Conn
	for range 3 {
		heavy = append(heavy, dialFrom(t, "127.0.0.2", addr))
	}
	dialFrom(t, "127.0.0.3", addr)
	waitOpen(t, ln, 4)
	if c := dialFrom(t, "127.0.0.5", addr); refused(t, c) {
		t.Fatal("a newcomer was refused while 127.0.0.2 held 3 of 4 places")
	}
	closed := 0
	for _, c := range heavy {
		if refused(t, c) {
			closed++
		}
	}
	if s := ln.Stats(); closed != 1 || s.Evicted != 1 || s.Open != 4 {
		t.Fatalf("%d of the heaviest's connections closed, stats %+v; want 1 closed, 4 open", closed, s)
	}
	// 127.0.0.2 now holds 2, the others 1: a second newcomer still gets in,
	// a third finds everyone even (2 vs 1+1) and is refused.
	dialFrom(t, "127.0.0.6", addr)
	waitOpen(t, ln, 4)
	if c := dialFrom(t, "127.0.0.7", addr); !refused(t, c) {
		t.Fatal("a newcomer took a place from an address holding only one more than it")
	}
}

func TestExemptAddressesPassThePerAddressCapButNotTheTotal(t *testing.T) {
	proxy := netip.MustParseAddr("127.0.0.9")
	ln := serve(t, connlimit.Limits{Total: 5, PerAddr: 1, Exempt: func(a netip.Addr) bool { return a == proxy }})
	addr := ln.Addr().String()
	for range 5 {
		dialFrom(t, "127.0.0.9", addr)
	}
	waitOpen(t, ln, 5)
	if c := dialFrom(t, "127.0.0.9", addr); !refused(t, c) {
		t.Fatal("the exempt address passed the total cap")
	}
}

func TestRefuseWritesItsExplanationBeforeClosing(t *testing.T) {
	ln := serve(t, connlimit.Limits{PerAddr: 1, Refuse: func(c net.Conn, r connlimit.Reason) {
		_, _ = io.WriteString(c, "refused: "+r.String())
	}})
	addr := ln.Addr().String()
	dialFrom(t, "127.0.0.2", addr)
	waitOpen(t, ln, 1)
	c := dialFrom(t, "127.0.0.2", addr)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(c)
	if !strings.Contains(string(b), "per-address connection limit") {
		t.Fatalf("refused connection read %q", b)
	}
}

func TestClosingTwiceFreesOnePlace(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := connlimit.Wrap(raw, connlimit.Limits{Total: 2})
	defer ln.Close()
	for range 2 {
		dialFrom(t, "127.0.0.2", ln.Addr().String())
	}
	a, _ := ln.Accept()
	if _, err := ln.Accept(); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close()
	if s := ln.Stats(); s.Open != 1 {
		t.Fatalf("open %d after closing one of two connections twice, want 1", s.Open)
	}
}
