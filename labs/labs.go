// Package labs runs the learners' lab sandboxes: one in-process MQTT broker
// per learner (github.com/mochi-mqtt/server/v2), the front that routes MQTT
// connections (TCP and WebSocket) to the right broker, the simulated IoT
// cloud, the device simulator and the event journal. It holds no HTML.
package labs

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// PersonalLearner is the learner id of personal mode's only learner.
const PersonalLearner = "personal"

// Config configures Labs. Zero fields take the documented defaults.
type Config struct {
	Classroom      bool          // MQTT needs a sandbox's username/password; else every client lands in the personal sandbox
	IdleTimeout    time.Duration // reclaim a sandbox this long without clients or Touch (default 30m)
	MaxSandboxes   int           // global cap on sandboxes (default 10000)
	Limits         Limits        // per sandbox (defaults: DefaultLimits)
	ConnectTimeout time.Duration // a connection must send CONNECT within it (default 10s)
	Secret         []byte        // HMAC key for credentials; keep it across restarts so learners' passwords survive (default: random)
	Logger         *slog.Logger  // default slog.Default()
}

// ErrTooManySandboxes is returned when the global cap on sandboxes is reached.
var ErrTooManySandboxes = errors.New("the lab server is full (too many sandboxes); try again in a few minutes")

// Labs owns every sandbox and the front that routes connections to them.
type Labs struct {
	cfg   Config
	log   *slog.Logger
	front *Front

	mu        sync.RWMutex
	sandboxes map[string]*Sandbox
	// resetNotices are sentences for learners whose lab was reset while
	// they used it: the journal of their next sandbox opens with it.
	resetNotices map[string]string
	personal     string
	setup        Setup
	closed       bool
	// withoutJournal leaves the journal hook out of new sandboxes: only the
	// benchmarks set it (export_test.go), to measure what journaling costs.
	withoutJournal bool

	stop chan struct{}
	done chan struct{}
}

// New returns Labs and starts its single housekeeping goroutine; Close stops it.
func New(cfg Config) *Labs {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.MaxSandboxes <= 0 {
		cfg.MaxSandboxes = 10000
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret)
	}
	cfg.Limits = cfg.Limits.withDefaults()
	l := &Labs{
		cfg:       cfg,
		log:       cfg.Logger,
		sandboxes: map[string]*Sandbox{},
		personal:  PersonalLearner,
		setup:     DefaultSetup(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	l.front = &Front{labs: l}
	go l.housekeeping()
	return l
}

// Classroom reports whether MQTT and REST need per-learner credentials.
func (l *Labs) Classroom() bool { return l.cfg.Classroom }

// Config returns the configuration in effect (defaults filled in).
func (l *Labs) Config() Config { return l.cfg }

// SetPersonal names personal mode's learner and the set-up its sandbox gets
// when the front or the API creates it.
func (l *Labs) SetPersonal(learnerID string, setup Setup) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.personal, l.setup = learnerID, setup
}

// SetDefaultSetup is the set-up of sandboxes created by an MQTT connection or
// an API call, before any course page said which lab the learner is in.
func (l *Labs) SetDefaultSetup(setup Setup) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup = setup
}

// Personal is the personal learner's id.
func (l *Labs) Personal() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.personal
}

func (l *Labs) defaultSetup() Setup {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.setup
}

// Front routes MQTT connections to sandboxes.
func (l *Labs) Front() *Front { return l.front }

// Len is the number of live sandboxes.
func (l *Labs) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.sandboxes)
}

// Sandbox returns the learner's sandbox, creating it if needed. The devices of
// setup are added to an existing sandbox that lacks them (a learner may open
// several courses); existing devices and values are kept.
func (l *Labs) Sandbox(learnerID string, setup Setup) (*Sandbox, error) {
	if learnerID == "" {
		return nil, errors.New("labs: empty learner id")
	}
	l.mu.RLock()
	sb := l.sandboxes[learnerID]
	l.mu.RUnlock()
	if sb == nil {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, errors.New("labs: closed")
		}
		if sb = l.sandboxes[learnerID]; sb == nil {
			if len(l.sandboxes) >= l.cfg.MaxSandboxes {
				l.mu.Unlock()
				l.log.Warn("sandbox cap reached", "max", l.cfg.MaxSandboxes)
				return nil, ErrTooManySandboxes
			}
			var err error
			if sb, err = newSandbox(l, learnerID, setup); err != nil {
				l.mu.Unlock()
				return nil, err
			}
			l.sandboxes[learnerID] = sb
			notice, told := l.resetNotices[learnerID]
			delete(l.resetNotices, learnerID)
			l.mu.Unlock()
			if told {
				sb.journal.Add(Event{Kind: KindNotice, Platform: true, Detail: &NoticeInfo{Message: notice}})
			}
			return sb, nil
		}
		l.mu.Unlock()
	}
	sb.Touch()
	if len(setup.Devices) > 0 {
		if err := sb.cloud.apply(setup); err != nil {
			sb.limit("setup", "", "", err.Error())
		}
	}
	return sb, nil
}

// Lookup returns the learner's sandbox if it exists, without creating it.
func (l *Labs) Lookup(learnerID string) *Sandbox {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.sandboxes[learnerID]
}

// Reclaim closes the learner's sandbox now (e.g. a "reset my lab" button).
func (l *Labs) Reclaim(learnerID string) {
	l.mu.Lock()
	sb := l.sandboxes[learnerID]
	delete(l.sandboxes, learnerID)
	l.mu.Unlock()
	if sb != nil {
		sb.close()
	}
}

// Reset is Reclaim for someone else's hand (the instructor's): when the
// learner had a sandbox, the next one they get opens its journal with a
// KindNotice event saying notice, so their lab console tells them why
// their clients were disconnected. It reports whether there was one.
func (l *Labs) Reset(learnerID, notice string) bool {
	l.mu.Lock()
	sb := l.sandboxes[learnerID]
	delete(l.sandboxes, learnerID)
	if sb != nil {
		if l.resetNotices == nil {
			l.resetNotices = map[string]string{}
		}
		l.resetNotices[learnerID] = notice
	}
	l.mu.Unlock()
	if sb != nil {
		sb.close()
	}
	return sb != nil
}

// Close stops housekeeping and closes every sandbox, disconnecting its clients.
func (l *Labs) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	all := l.sandboxes
	l.sandboxes = map[string]*Sandbox{}
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	for _, sb := range all {
		sb.close()
	}
	return nil
}

func (l *Labs) housekeeping() {
	defer close(l.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	reclaimEvery := min(max(l.cfg.IdleTimeout/4, time.Second), 30*time.Second)
	var lastReclaim, lastRetained time.Time
	var busy []*Sandbox
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			busy = busy[:0]
			retained := now.Sub(lastRetained) >= time.Minute
			l.mu.RLock()
			for _, sb := range l.sandboxes {
				if sb.busy() || retained && sb.server.Topics.Retained.Len() > 0 {
					busy = append(busy, sb)
				}
			}
			l.mu.RUnlock()
			for _, sb := range busy {
				l.safely(sb, func() {
					sb.housekeep(now)
					if retained {
						sb.retainedHousekeep(now.Unix())
					}
				})
			}
			clear(busy) // do not keep reclaimed sandboxes alive through this slice
			if retained {
				lastRetained = now
			}
			if now.Sub(lastReclaim) >= reclaimEvery {
				lastReclaim = now
				l.reclaim(now)
			}
		}
	}
}

// safely runs housekeeping for one sandbox; a bug there must not stop it for all.
func (l *Labs) safely(sb *Sandbox, f func()) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("sandbox housekeeping panicked", "sandbox", sb.learner, "panic", fmt.Sprint(r))
		}
	}()
	f()
}

// reclaim closes sandboxes without clients and without activity for
// IdleTimeout. The personal sandbox is never reclaimed: it is the only one.
func (l *Labs) reclaim(now time.Time) {
	cutoff := now.Add(-l.cfg.IdleTimeout).UnixNano()
	var idle []*Sandbox
	l.mu.Lock()
	for id, sb := range l.sandboxes {
		if l.cfg.Classroom || id != l.personal {
			if sb.closeIfIdle(cutoff) {
				delete(l.sandboxes, id)
				idle = append(idle, sb)
			}
		}
	}
	l.mu.Unlock()
	for _, sb := range idle {
		l.log.Debug("sandbox reclaimed", "sandbox", sb.learner)
		sb.close()
	}
}
