package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/internal/pgtest"
)

// TestNotifyCrossesNodesAndListenerReconnects opens the same PostgreSQL
// database twice, as two nodes would, and checks that a notification from
// one reaches the other; that a listener whose connection is cut connects
// again and says so (so its owner reloads); and that payloads over
// PostgreSQL's limit are refused with a clear error.
func TestNotifyCrossesNodesAndListenerReconnects(t *testing.T) {
	target := pgtest.Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := Open(ctx, target)
	check(t, err)
	defer a.Close()
	b, err := Open(ctx, target)
	check(t, err)
	defer b.Close()

	connected := make(chan struct{}, 4)
	events := make(chan string, 16)
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Listen(lctx, []string{"courselab_test"}, func() { connected <- struct{}{} },
			func(ch, payload string) { events <- ch + " " + payload })
	}()
	defer func() { stop(); <-done }()
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
		}
	}
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("event %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %q not delivered within 10 s", want)
		}
	}
	wait("first connection", connected)
	check(t, a.Notify(ctx, "courselab_test", "ada-3f9c"))
	expect("courselab_test ada-3f9c")

	// Cut the listener's connection, as a restarted server or a network
	// cut would.
	// pg_stat_activity shows each backend's latest statement: the
	// listener's is its LISTEN.
	if _, err := a.w.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`); err != nil {
		t.Fatal(err)
	}
	wait("reconnection after the connection was cut", connected)
	check(t, a.Notify(ctx, "courselab_test", "bob-1a2b"))
	expect("courselab_test bob-1a2b")

	err = a.Notify(ctx, "courselab_test", strings.Repeat("x", MaxPayload+1))
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Notify of an oversize payload = %v, want a refusal", err)
	}

	// SQLite has one process: Notify does nothing, Listen returns.
	s, _ := openTest(t, engines[0])
	check(t, s.Notify(ctx, "courselab_test", "x"))
	s.Listen(ctx, []string{"courselab_test"}, func() { t.Error("SQLite listener connected") }, nil)
}
