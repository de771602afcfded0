package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// A lab reset (the instructor's "reset lab", Labs.Reclaim) closes the
// learner's sandbox under the console's connected clients. Without help the
// learner would see "server shutting down" on every card and reconnect and
// resubscribe each client by hand. The desk does it for them and says in
// words what happened, as a "notice" update for the browsers watching and as
// a "notice" line in the fresh sandbox's journal.

// resetWait bounds how long the desk waits for each client's old connection
// to end, and each reconnect.
const resetWait = 5 * time.Second

// resetNotice is what the learner reads after a reset.
const resetNotice = "Your instructor reset your lab: a fresh broker and cloud, without your sessions, retained messages or values"

// lostToResetLocked reports whether the session that just ended belonged to a
// sandbox that was closed under it.
func (c *Client) lostToResetLocked() bool {
	return c.sb != nil && c.sb.Closed()
}

// recoverFromReset reconnects, once per closed sandbox, the desk's clients
// that were connected to old when it was reset, subscribes them again, and
// tells the learner.
func (d *Desk) recoverFromReset(old *labs.Sandbox) {
	d.mu.Lock()
	if d.closed || d.lastReset == old {
		d.mu.Unlock()
		return
	}
	d.lastReset = old
	var mine []*Client
	for _, c := range d.clients {
		mine = append(mine, c)
	}
	d.mu.Unlock()

	// Every client of the old sandbox loses its connection at about the
	// same time; wait for each to see it, so that all are recovered together.
	var lost []*Client
	for _, c := range mine {
		c.mu.Lock()
		sess, sb := c.sess, c.sb
		c.mu.Unlock()
		if sb != old || sess == nil {
			continue
		}
		select {
		case <-sess.done():
		case <-time.After(resetWait):
		}
		c.mu.Lock()
		// Its own ended hook may not have run yet: the session is over and
		// its sandbox closed, so it was lost to the reset all the same.
		if c.sess == sess && (c.resetLost || c.state == StateConnected) {
			lost = append(lost, c)
			c.state, c.reason, c.resetLost = StateLost, "your instructor reset your lab: reconnecting…", false
		}
		c.mu.Unlock()
	}
	if len(lost) == 0 {
		return
	}

	var back, failed []string
	for _, c := range lost {
		if err := c.reconnectAfterReset(); err != nil {
			failed = append(failed, strconv.Quote(c.opts.ClientID)+" ("+err.Error()+")")
			continue
		}
		back = append(back, strconv.Quote(c.opts.ClientID))
	}
	var parts []string
	if len(back) > 0 {
		parts = append(parts, fmt.Sprintf("your console %s %s reconnected by %s, with %s subscriptions",
			plural(len(back), "client", "clients"), strings.Join(back, ", "), plural(len(back), "itself", "themselves"), plural(len(back), "its", "their")))
	}
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%s could not reconnect: %s, connect %s again",
			plural(len(failed), "this console client", "these console clients"), strings.Join(failed, ", "), plural(len(failed), "it", "them")))
	}
	consoleNews := strings.Join(parts, "; ")
	msg := resetNotice + "; " + consoleNews + "."
	if sb := d.console.labs.Lookup(d.learner); sb != nil && sb != old {
		line := msg
		if opensWithNotice(sb) {
			// Labs.Reset already opened the fresh journal saying what a
			// reset is: add only what became of the console's clients.
			line = strings.ToUpper(consoleNews[:1]) + consoleNews[1:] + "."
		}
		sb.Journal().Add(labs.Event{Kind: labs.KindNotice, Platform: true, Detail: &labs.NoticeInfo{Message: line}})
	}
	d.publish(Update{Kind: "notice", Notice: msg})
}

// opensWithNotice tells whether the sandbox's journal starts with a notice
// (the one Labs.Reset leaves for the learner's next sandbox).
func opensWithNotice(sb *labs.Sandbox) bool {
	first := sb.Journal().Since(0)
	return len(first) > 0 && first[0].Kind == labs.KindNotice
}

// reconnectAfterReset connects the client again with its options and
// subscribes it again to what it was subscribed to: the fresh sandbox holds
// no session for it.
func (c *Client) reconnectAfterReset() error {
	c.mu.Lock()
	subs := append([]Subscription(nil), c.subs...)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), resetWait)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		return err
	}
	for _, s := range subs {
		if _, err := c.Subscribe(ctx, s.Filter, s.QoS); err != nil {
			return fmt.Errorf("subscribe %s: %w", s.Filter, err)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
