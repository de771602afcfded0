package abuse

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
)

// Scenario is issue 9's "slow bodies" attack on a classroom server: slow
// POST /join bodies on the HTTP port and idle sockets on the MQTT port, from
// many addresses, while a learner who joined before it started reads a
// section and presses Check from an address of their own.
type Scenario struct {
	HTTP, MQTT string // host:port of the server's listeners

	SlowBodies, SlowSources int           // slow-body connections, over this many addresses (127.1.x.y)
	IdleMQTT, MQTTSources   int           // idle MQTT connections, over this many addresses (127.2.x.y)
	Trickle                 time.Duration // one body byte this often (the attack sent one every 5 s)
	Retry                   time.Duration // an attacker reopens a closed connection after this
	Ramp                    time.Duration // the attack opens its connections over this long

	Duration time.Duration // the learner measures under attack this long, after the ramp
	Every    time.Duration // between two of the learner's rounds (a page, then a Check)
	Section  string        // path of a section page
	Check    string        // path of an exercise's Check (POST)
	Learner  netip.Addr    // the learner's source address
}

// Report is what a Scenario measured.
type Report struct {
	Slow, MQTT        *Stats
	BasePage, BaseChk Summary // the learner before the attack
	Page, Chk         Summary // the learner under attack
}

// Run plays the scenario, writing progress to log.
func (s Scenario) Run(ctx context.Context, log io.Writer) (Report, error) {
	r := Report{Slow: &Stats{}, MQTT: &Stats{}}
	l, err := Join(ctx, "http://"+s.HTTP, s.Learner, "Well-behaved learner", log)
	if err != nil {
		return r, err
	}
	defer l.Close()

	var page, chk Timings
	for range 5 {
		page.Add(l.Get(ctx, s.Section))
		chk.Add(l.Check(ctx, s.Check))
	}
	r.BasePage, r.BaseChk = page.Summary(), chk.Summary()
	fmt.Fprintf(log, "before the attack: page %v; check %v\n", r.BasePage, r.BaseChk)

	attackCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		SlowBodies(attackCtx, Attack{Target: s.HTTP, Conns: s.SlowBodies, Sources: Sources(1, s.SlowSources), Retry: s.Retry, Ramp: s.Ramp}, s.Trickle, r.Slow)
	})
	wg.Go(func() {
		IdleMQTT(attackCtx, Attack{Target: s.MQTT, Conns: s.IdleMQTT, Sources: Sources(2, s.MQTTSources), Retry: s.Retry, Ramp: s.Ramp}, r.MQTT)
	})
	defer func() { stop(); wg.Wait() }()

	sleep(ctx, s.Ramp)
	fmt.Fprintf(log, "attack ramped up: HTTP %v\n                  MQTT %v\n", r.Slow, r.MQTT)
	page, chk = Timings{}, Timings{}
	end := time.Now().Add(s.Duration)
	for ctx.Err() == nil && time.Now().Before(end) {
		page.Add(l.Get(ctx, s.Section))
		chk.Add(l.Check(ctx, s.Check))
		sleep(ctx, s.Every)
	}
	r.Page, r.Chk = page.Summary(), chk.Summary()
	fmt.Fprintf(log, "under attack: page %v; check %v\n              HTTP %v\n              MQTT %v\n", r.Page, r.Chk, r.Slow, r.MQTT)
	return r, ctx.Err()
}
