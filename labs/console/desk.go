package console

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/courselab/courselab/labs"
)

// Desk is one learner's console: their console clients and the browsers
// watching them.
type Desk struct {
	console *Console
	learner string

	mu       sync.Mutex
	clients  map[string]*Client // by handle ("c1", "c2"…)
	next     int
	used     time.Time
	watchers map[*watcher]struct{}
	timer    *time.Timer
	closed   bool

	lastReset *labs.Sandbox // the latest sandbox reset under this desk's clients, recovered once
}

// Update is one change a watching browser hears about: a client's new state
// ("client"), a message it received ("message"), its removal ("removed"), or
// a sentence for the learner about the whole console ("notice", in Notice:
// e.g. that the instructor reset the lab and the clients reconnected).
type Update struct {
	Kind    string      `json:"kind"`
	ID      string      `json:"id"`
	Client  *ClientInfo `json:"client,omitempty"`
	Message *Message    `json:"message,omitempty"`
	Notice  string      `json:"notice,omitempty"`
}

// watcherBuffer is how many updates a slow browser may lag behind before it
// is sent a fresh snapshot instead.
const watcherBuffer = 256

type watcher struct {
	ch     chan Update
	lagged bool // guarded by Desk.mu
}

func newDesk(c *Console, learner string) *Desk {
	d := &Desk{console: c, learner: learner, clients: map[string]*Client{}, watchers: map[*watcher]struct{}{}}
	d.timer = time.AfterFunc(c.cfg.IdleTimeout, d.idleCheck)
	return d
}

// Learner is the learner this desk belongs to.
func (d *Desk) Learner() string { return d.learner }

func (d *Desk) touch() {
	d.mu.Lock()
	d.used = time.Now()
	d.mu.Unlock()
}

// idle reports whether nobody used or watched the desk for the idle timeout.
func (d *Desk) idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.watchers) == 0 && time.Since(d.used) >= d.console.cfg.IdleTimeout
}

// idleCheck closes the desk's clients once it is idle, so that a console
// client left connected does not keep the learner's sandbox alive forever.
func (d *Desk) idleCheck() {
	if d.console.forget(d) {
		d.close("closed after being idle; connect again when you need it")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.timer.Reset(max(time.Second, d.console.cfg.IdleTimeout-time.Since(d.used)))
	}
}

func (d *Desk) close(reason string) {
	d.mu.Lock()
	d.closed = true
	d.timer.Stop()
	all := make([]*Client, 0, len(d.clients))
	for _, c := range d.clients {
		all = append(all, c)
	}
	d.mu.Unlock()
	for _, c := range all {
		c.end(reason)
	}
}

// Open adds a console client and connects it. A client whose connection is
// refused is still added (its card shows why), unless its options are invalid.
func (d *Desk) Open(ctx context.Context, o Options) (ClientInfo, error) {
	o, err := o.normalize()
	if err != nil {
		return ClientInfo{}, err
	}
	if err := o.checkPayloads(d.packetSize()); err != nil {
		return ClientInfo{}, err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ClientInfo{}, &Error{Kind: KindUnavailable, Message: "the console was closed; reload the page"}
	}
	if len(d.clients) >= d.console.cfg.MaxClients {
		d.mu.Unlock()
		return ClientInfo{}, &Error{Kind: KindLimit, Field: "client_id", Message: fmt.Sprintf(
			"you already have %d console clients, the most at once: remove one first", d.console.cfg.MaxClients)}
	}
	d.next++
	c := &Client{desk: d, id: "c" + strconv.Itoa(d.next), opts: o, state: StateNew, created: time.Now()}
	d.clients[c.id] = c
	d.mu.Unlock()
	err = c.Connect(ctx)
	info := c.Info(true)
	if err != nil {
		return info, err
	}
	return info, nil
}

// Client returns a console client by its handle.
func (d *Desk) Client(id string) (*Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.clients[id]
	if c == nil {
		return nil, &Error{Kind: KindNotFound, Message: "there is no console client " + strconv.Quote(id) + " (it may have been closed after being idle); reload the page"}
	}
	return c, nil
}

// Remove drops the client's connection if it has one (without a will: it
// disconnects gracefully) and forgets it.
func (d *Desk) Remove(id string) error {
	c, err := d.Client(id)
	if err != nil {
		return err
	}
	c.end("removed")
	d.mu.Lock()
	delete(d.clients, id)
	d.mu.Unlock()
	d.publish(Update{Kind: "removed", ID: id})
	return nil
}

// Clients lists the desk's clients in the order they were opened, with the
// messages they received.
func (d *Desk) Clients() []ClientInfo {
	d.mu.Lock()
	all := make([]*Client, 0, len(d.clients))
	for _, c := range d.clients {
		all = append(all, c)
	}
	d.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].created.Before(all[j].created) })
	out := make([]ClientInfo, 0, len(all))
	for _, c := range all {
		out = append(out, c.Info(true))
	}
	return out
}

// Watch streams the desk's updates until ctx ends. While a browser watches,
// the desk is not idle. lagged reports (and clears) that updates were lost
// because the reader was slow: it should then send a fresh Clients snapshot.
func (d *Desk) Watch(ctx context.Context) (updates <-chan Update, lagged func() bool) {
	w := &watcher{ch: make(chan Update, watcherBuffer)}
	d.mu.Lock()
	d.watchers[w] = struct{}{}
	d.mu.Unlock()
	go func() {
		<-ctx.Done()
		d.mu.Lock()
		delete(d.watchers, w)
		d.used = time.Now()
		d.mu.Unlock()
	}()
	return w.ch, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		l := w.lagged
		w.lagged = false
		return l
	}
}

// publish tells every watcher; it never blocks.
func (d *Desk) publish(u Update) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for w := range d.watchers {
		select {
		case w.ch <- u:
		default:
			w.lagged = true
		}
	}
}

func (d *Desk) packetSize() int { return d.console.labs.Config().Limits.PacketSize }
