package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MaxPayload is the longest notification payload Notify sends: PostgreSQL
// refuses 8000 bytes and more. Payloads carry ids, never data: a listener
// reads what changed from the database.
const MaxPayload = 7999

// Notify tells every process listening on this database that something
// changed (PostgreSQL NOTIFY): it is delivered to the listeners, this
// process's own included, once it is sent. On SQLite, which one process
// owns, there is nobody else to tell and it does nothing.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("notify %s: payload of %d bytes is over PostgreSQL's limit of %d", channel, len(payload), MaxPayload)
	}
	if _, err := s.w.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen delivers the notifications sent on channels to onEvent until ctx
// ends, on a connection of its own that it opens again whenever it breaks
// (a restarted server, a network cut), waiting up to 5 s between tries.
// After each (re)connection, once it listens, it calls onConnect: whatever
// was sent while it was not listening is lost, so the caller reloads its
// view from the database there. On SQLite it returns at once.
//
// onConnect and onEvent run on Listen's goroutine; they should be quick.
func (s *Store) Listen(ctx context.Context, channels []string, onConnect func(), onEvent func(channel, payload string)) {
	if s.dialect != dialectPostgres {
		return
	}
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, channels, func() {
			wait = 100 * time.Millisecond
			onConnect()
		}, onEvent)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errListenSetUp) {
			wait = min(wait*2, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

var errListenSetUp = errors.New("listen: could not connect")

// listenOnce connects, listens and delivers until the connection breaks.
func (s *Store) listenOnce(ctx context.Context, channels []string, onConnect func(), onEvent func(channel, payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pg.config.Copy())
	if err != nil {
		return fmt.Errorf("%w: %v", errListenSetUp, err)
	}
	defer conn.Close(context.Background())
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("%w: %v", errListenSetUp, err)
		}
	}
	onConnect()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onEvent(n.Channel, n.Payload)
	}
}
