package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxBatch bounds how many writes share one commit, so that one commit
// never holds the writer for long.
const maxBatch = 128

// batcher groups the writes that arrive while a commit is on its way to
// disk into the next commit (group commit). SQLite has one writer and
// synchronous=FULL makes each COMMIT wait for an fsync: one transaction per
// Check made a burst of Checks queue behind one fsync each. A write still
// returns only once the commit holding it has returned, so a caller never
// reports as stored what is not. PostgreSQL needs none of this: its
// connections commit in parallel and the server groups their WAL flushes.
type batcher struct {
	mu      sync.Mutex
	queue   []*pendingWrite
	running bool // a goroutine is draining queue
}

// pendingWrite is one caller's transaction body and where its outcome goes.
type pendingWrite struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// writeBatched queues fn and waits until the commit that holds it (or its
// failure) is known.
func (s *Store) writeBatched(ctx context.Context, fn func(tx *sql.Tx) error) error {
	p := &pendingWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	b := &s.batch
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if !b.running {
		b.running = true
		go s.drain()
	}
	b.mu.Unlock()
	return <-p.done
}

// drain commits the queue, batch after batch, until it is empty.
func (s *Store) drain() {
	b := &s.batch
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		s.commitBatch(batch)
	}
}

// commitBatch runs the writes of batch in one transaction, each in its own
// savepoint so that one write's error undoes only that write, and tells
// each caller the outcome once COMMIT has returned.
func (s *Store) commitBatch(batch []*pendingWrite) {
	if len(batch) == 1 {
		p := batch[0]
		p.done <- s.writeOne(p.ctx, p.fn)
		return
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	results := make([]error, len(batch))
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
			s.abandon(tx, batch, results, i, err)
			return
		}
		if err := p.fn(tx); err != nil {
			results[i] = err
			// An interrupted statement (its context was cancelled) may
			// have rolled back the whole transaction: then the savepoint
			// is gone and the writes before it with it.
			if _, rerr := tx.Exec(`ROLLBACK TO SAVEPOINT write`); rerr != nil {
				s.abandon(tx, batch, results, i+1, rerr)
				return
			}
		}
		if _, err := tx.Exec(`RELEASE SAVEPOINT write`); err != nil {
			s.abandon(tx, batch, results, i+1, err)
			return
		}
	}
	s.commits.Add(1)
	err = tx.Commit()
	for i, p := range batch {
		if results[i] == nil && err != nil {
			results[i] = err
		}
		p.done <- results[i]
	}
}

// abandon rolls the batch's transaction back after it broke at write
// next: the writes before next that had succeeded are undone and told so;
// the writes from next on are run again, each in its own transaction.
func (s *Store) abandon(tx *sql.Tx, batch []*pendingWrite, results []error, next int, cause error) {
	tx.Rollback()
	for i, p := range batch[:next] {
		if results[i] == nil {
			results[i] = fmt.Errorf("the shared commit was abandoned: %w", cause)
		}
		p.done <- results[i]
	}
	for _, p := range batch[next:] {
		p.done <- s.writeOne(p.ctx, p.fn)
	}
}
