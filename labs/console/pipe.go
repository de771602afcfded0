package console

import (
	"net"
	"sync"
	"time"
)

// pipeBuffer is how many writes may wait for the broker to read them.
const pipeBuffer = 1024

// bufferedConn lets a console client's writes return before the broker
// reads them. net.Pipe is synchronous: a client acknowledging a message
// from its read loop while the broker, in its own read loop, delivers the
// client's publish back to it would otherwise wait on each other forever
// (TCP hides this with its kernel buffers).
type bufferedConn struct {
	net.Conn
	out  chan []byte
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newBufferedConn(c net.Conn) *bufferedConn {
	b := &bufferedConn{Conn: c, out: make(chan []byte, pipeBuffer), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flush()
	return b
}

func (b *bufferedConn) Write(p []byte) (int, error) {
	buf := append([]byte(nil), p...)
	select {
	case <-b.stop:
		return 0, net.ErrClosed
	default:
	}
	select {
	case b.out <- buf:
		return len(p), nil
	case <-b.stop:
		return 0, net.ErrClosed
	}
}

// flush writes queued bytes in order; after Close it writes what is left
// (a DISCONNECT, say) and ends.
func (b *bufferedConn) flush() {
	defer close(b.done)
	write := func(p []byte) bool {
		_ = b.Conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := b.Conn.Write(p)
		return err == nil
	}
	for {
		select {
		case p := <-b.out:
			if !write(p) {
				_ = b.Conn.Close()
				return
			}
		case <-b.stop:
			for {
				select {
				case p := <-b.out:
					if !write(p) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// Close sends what is queued, then closes. It waits as long as one write
// may take: a DISCONNECT cut off by a busy broker would turn a graceful
// disconnect into a dropped connection, and fire the will.
func (b *bufferedConn) Close() error {
	b.once.Do(func() { close(b.stop) })
	select {
	case <-b.done:
	case <-time.After(writeTimeout):
	}
	return b.Conn.Close()
}
