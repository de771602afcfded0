package console_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/console"
	"github.com/courselab/courselab/labs/labtest"
)

var protocols = []string{console.Protocol5, console.Protocol311}

// newDesk is a personal-mode lab with a console desk for its learner.
func newDesk(t *testing.T, cfg console.Config) (*labs.Labs, *console.Desk) {
	t.Helper()
	l := labtest.NewLabs(t, labs.Config{})
	l.SetPersonal(labs.PersonalLearner, labs.DefaultSetup())
	con := console.New(l, cfg)
	t.Cleanup(con.Close)
	d, err := con.Desk(labs.PersonalLearner)
	if err != nil {
		t.Fatal(err)
	}
	return l, d
}

func open(t *testing.T, d *console.Desk, o console.Options) *console.Client {
	t.Helper()
	info, err := d.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s: %v", o.ClientID, err)
	}
	if info.State != console.StateConnected {
		t.Fatalf("open %s: state %s (%s)", o.ClientID, info.State, info.Reason)
	}
	c, err := d.Client(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func subscribe(t *testing.T, c *console.Client, filter string, qos byte) {
	t.Helper()
	if _, err := c.Subscribe(context.Background(), filter, qos); err != nil {
		info := c.Info(false)
		t.Fatalf("subscribe %s: %v (client state %s: %s)", filter, err, info.State, info.Reason)
	}
}

func publish(t *testing.T, c *console.Client, topic, payload string, qos byte, retain bool) {
	t.Helper()
	if err := c.Publish(context.Background(), topic, []byte(payload), qos, retain); err != nil {
		info := c.Info(false)
		t.Fatalf("publish %s: %v (client state %s: %s)", topic, err, info.State, info.Reason)
	}
}

// waitMessages waits until c has received n messages and returns them.
func waitMessages(t *testing.T, c *console.Client, n int) []console.Message {
	t.Helper()
	deadline := time.Now().Add(labtest.Wait)
	for {
		msgs := c.Info(true).Messages
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages after %v, want %d: %+v", len(msgs), labtest.Wait, n, msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJournal waits until the personal sandbox's journal holds an event of
// kind on topic.
func waitJournal(t *testing.T, l *labs.Labs, kind, topic string) {
	t.Helper()
	deadline := time.Now().Add(labtest.Wait)
	for {
		if sb := l.Lookup(labs.PersonalLearner); sb != nil {
			for _, e := range sb.Journal().Since(0) {
				if e.Kind == kind && e.Topic == topic {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s on %s in the journal within %v", kind, topic, labtest.Wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitState(t *testing.T, c *console.Client, state string) console.ClientInfo {
	t.Helper()
	deadline := time.Now().Add(labtest.Wait)
	for {
		info := c.Info(false)
		if info.State == state {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %s (%s), want %s", info.State, info.Reason, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConsoleClientsSubscribeWithWildcardsAndPublishEveryQoSRetained(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			_, d := newDesk(t, console.Config{})
			sub := open(t, d, console.Options{ClientID: "web-sub", Protocol: proto, CleanStart: true, KeepAlive: 30})
			pub := open(t, d, console.Options{ClientID: "web-pub", Protocol: proto, CleanStart: true, KeepAlive: 30})
			subscribe(t, sub, "devices/+/sensors/#", 2)
			// The broker sends retained messages to a new subscription just
			// after its SUBACK, or the first retained publish may arrive
			// twice (live, and as retained). It reads the client's packets one
			// at a time: a second SUBACK means the first one's retained
			// messages are out.
			subscribe(t, sub, "barrier/none", 0)
			for qos := byte(0); qos <= 2; qos++ {
				publish(t, pub, "devices/ESPDEVICE/sensors/TC/value", `{"value":`+string('0'+qos)+`}`, qos, true)
			}
			publish(t, pub, "elsewhere/TC", "not for sub", 1, false)
			msgs := waitMessages(t, sub, 3)
			for i, m := range msgs {
				if m.Topic != "devices/ESPDEVICE/sensors/TC/value" || m.QoS != byte(i) || m.Retain {
					t.Errorf("message %d = %+v, want QoS %d on the TC topic, not retained (live delivery); all: %+v", i, m, i, msgs)
				}
			}
			late := open(t, d, console.Options{ClientID: "web-late", Protocol: proto, CleanStart: true})
			subscribe(t, late, "devices/ESPDEVICE/#", 1)
			got := waitMessages(t, late, 1)[0]
			if !got.Retain || got.Payload != `{"value":2}` || got.QoS != 1 {
				t.Errorf("late subscriber got %+v, want the retained QoS 2 message downgraded to QoS 1", got)
			}
			// A last message from the same publisher comes after the
			// elsewhere/TC one: if that had reached sub, it would be before.
			publish(t, pub, "devices/ESPDEVICE/sensors/END/value", "end", 1, false)
			if all := waitMessages(t, sub, 4); len(all) != 4 || all[3].Payload != "end" {
				t.Errorf("subscriber received %+v, want the 3 TC messages then end (not the one on elsewhere/TC)", all)
			}
		})
	}
}

func TestWillFiresOnDropAndNotOnGracefulDisconnect(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			_, d := newDesk(t, console.Config{})
			watcher := open(t, d, console.Options{ClientID: "web-watch", Protocol: console.Protocol5, CleanStart: true})
			subscribe(t, watcher, "status/#", 1)
			will := &console.Will{Topic: "status/graceful", Payload: "gone", QoS: 1}
			graceful := open(t, d, console.Options{ClientID: "web-graceful", Protocol: proto, CleanStart: true, Will: will})
			if err := graceful.Disconnect(); err != nil {
				t.Fatal(err)
			}
			dropped := open(t, d, console.Options{ClientID: "web-dropped", Protocol: proto, CleanStart: true,
				Will: &console.Will{Topic: "status/dropped", Payload: "offline", QoS: 1, Retain: true}})
			if err := dropped.Drop(); err != nil {
				t.Fatal(err)
			}
			m := waitMessages(t, watcher, 1)[0]
			if m.Topic != "status/dropped" || m.Payload != "offline" {
				t.Errorf("watcher got %+v, want the dropped client's will", m)
			}
			// The graceful client's will, had the broker kept it, would have
			// come before the dropped client's; a last message closes the list.
			publish(t, watcher, "status/end", "end", 1, false)
			if got := waitMessages(t, watcher, 2); len(got) != 2 || got[1].Payload != "end" {
				t.Errorf("watcher got %+v, want only the dropped client's will, then end", got)
			}
			if s := dropped.Info(false).State; s != console.StateDropped {
				t.Errorf("dropped client state %s", s)
			}
		})
	}
}

func TestPersistentSessionResumesWithTheMessagesItMissed(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			l, d := newDesk(t, console.Config{})
			sleeper := open(t, d, console.Options{ClientID: "web-sleeper", Protocol: proto, CleanStart: false, KeepAlive: 30})
			subscribe(t, sleeper, "alarms/+", 1)
			if err := sleeper.Disconnect(); err != nil {
				t.Fatal(err)
			}
			pub := open(t, d, console.Options{ClientID: "web-pub", Protocol: proto, CleanStart: true})
			publish(t, pub, "alarms/fire", "while you slept", 1, false)
			// The PUBACK comes before the broker queues the message for the
			// absent session; its journal line comes after.
			waitJournal(t, l, labs.KindPublish, "alarms/fire")
			if err := sleeper.Connect(context.Background()); err != nil {
				t.Fatal(err)
			}
			info := sleeper.Info(false)
			if !info.SessionPresent || len(info.Subscriptions) != 1 {
				t.Errorf("reconnect: session_present %v, subscriptions %v; want the session resumed", info.SessionPresent, info.Subscriptions)
			}
			if m := waitMessages(t, sleeper, 1)[0]; m.Payload != "while you slept" {
				t.Errorf("got %+v", m)
			}
		})
	}
}

func TestBadInputGetsAnErrorAtItsField(t *testing.T) {
	l, d := newDesk(t, console.Config{MaxClients: 2})
	c := open(t, d, console.Options{ClientID: "web-1", CleanStart: true})
	off := open(t, d, console.Options{ClientID: "web-2", Protocol: console.Protocol311, CleanStart: true})
	if err := off.Disconnect(); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", l.Config().Limits.PacketSize)
	ctx := context.Background()
	cases := []struct {
		name  string
		err   error
		field string
		kind  console.ErrorKind
	}{
		{"# in the middle", func() error { _, err := c.Subscribe(ctx, "devices/#/value", 0); return err }(), "filter", console.KindInvalid},
		{"+ inside a level", func() error { _, err := c.Subscribe(ctx, "devices/ESP+/value", 0); return err }(), "filter", console.KindInvalid},
		{"empty filter", func() error { _, err := c.Subscribe(ctx, "", 0); return err }(), "filter", console.KindInvalid},
		{"QoS 3", func() error { _, err := c.Subscribe(ctx, "a", 3); return err }(), "qos", console.KindInvalid},
		{"wildcard topic", c.Publish(ctx, "devices/+/value", nil, 0, false), "topic", console.KindInvalid},
		{"payload too large", c.Publish(ctx, "big", []byte(big), 0, false), "payload", console.KindLimit},
		{"not connected", off.Publish(ctx, "a", []byte("b"), 0, false), "", console.KindConflict},
		{"too many clients", func() error {
			_, err := d.Open(ctx, console.Options{ClientID: "web-3", CleanStart: true})
			return err
		}(), "client_id", console.KindLimit},
		{"no client id", func() error { _, err := d.Open(ctx, console.Options{}); return err }(), "client_id", console.KindInvalid},
		{"will with wildcard", func() error {
			_, err := d.Open(ctx, console.Options{ClientID: "w", Will: &console.Will{Topic: "a/#", Payload: "x"}})
			return err
		}(), "will.topic", console.KindInvalid},
		{"unknown client", func() error { _, err := d.Client("c99"); return err }(), "", console.KindNotFound},
	}
	for _, tc := range cases {
		var e *console.Error
		if !errors.As(tc.err, &e) {
			t.Errorf("%s: err = %v, want a *console.Error", tc.name, tc.err)
			continue
		}
		if e.Field != tc.field || e.Kind != tc.kind || e.Message == "" {
			t.Errorf("%s: %+v, want field %q kind %d with a message", tc.name, e, tc.field, tc.kind)
		}
	}
	// Nothing else broke: the client still works.
	subscribe(t, c, "ok/#", 0)
	publish(t, c, "ok/1", "fine", 0, false)
	waitMessages(t, c, 1)
}

func TestPublishOverTheSandboxRateIsSlowedNotRefused(t *testing.T) {
	const rate, burst, n = 5, 2, 6
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{PublishRate: rate, PublishBurst: burst}})
	con := console.New(l, console.Config{})
	t.Cleanup(con.Close)
	d, _ := con.Desk(labs.PersonalLearner)
	c := open(t, d, console.Options{ClientID: "web-fast", CleanStart: true})
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := c.Publish(context.Background(), "fast", []byte("x"), 1, false); err != nil {
			t.Fatalf("publish %d over the rate: %v, want it delayed, not refused", i, err)
		}
	}
	if took, least := time.Since(start), time.Duration(n-burst)*time.Second/rate; took < least*8/10 {
		t.Fatalf("%d publishes in %v: the sandbox's rate needs at least %v", n, took, least)
	}
	if c.Info(false).State != console.StateConnected {
		t.Errorf("client state %s after publishing over the rate, want still connected", c.Info(false).State)
	}
}

func TestConsoleClientsAreTheLearnersInTheJournalAndInClassroomMode(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	sb, err := l.Sandbox("ada-1234", labs.DefaultSetup())
	if err != nil {
		t.Fatal(err)
	}
	con := console.New(l, console.Config{})
	t.Cleanup(con.Close)
	d, _ := con.Desk("ada-1234")
	open(t, d, console.Options{ClientID: "web-ada", CleanStart: true})
	var found bool
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindConnect && e.ClientID == "web-ada" && e.Connect().Transport == labs.TransportConsole {
			found = true
		}
	}
	if !found {
		t.Errorf("journal of ada's sandbox has no console connect of web-ada: %+v", sb.Journal().Since(0))
	}
}

func TestRemovingAndClosingDisconnectWithoutTheWill(t *testing.T) {
	l, d := newDesk(t, console.Config{})
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.Setup{})
	c := open(t, d, console.Options{ClientID: "web-x", CleanStart: true, Will: &console.Will{Topic: "w", Payload: "p"}})
	if err := d.Remove(c.ID()); err != nil {
		t.Fatal(err)
	}
	if len(d.Clients()) != 0 {
		t.Errorf("clients after remove: %+v", d.Clients())
	}
	deadline := time.Now().Add(labtest.Wait)
	for sb.Connected() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sb.Connected() != 0 {
		t.Errorf("sandbox still has %d clients after remove", sb.Connected())
	}
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindWill {
			t.Errorf("will sent on remove: %+v", e)
		}
	}
}

func TestIdleDeskClosesItsClients(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	con := console.New(l, console.Config{IdleTimeout: 200 * time.Millisecond})
	t.Cleanup(con.Close)
	d, _ := con.Desk(labs.PersonalLearner)
	c := open(t, d, console.Options{ClientID: "web-idle", CleanStart: true})
	waitState(t, c, console.StateDisconnected)
	if con.Lookup(labs.PersonalLearner) != nil {
		t.Error("idle desk still held")
	}
}

func TestAClientReceivesItsOwnPublishesAtEveryQoS(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			_, d := newDesk(t, console.Config{})
			c := open(t, d, console.Options{ClientID: "web-echo", Protocol: proto, CleanStart: true})
			subscribe(t, c, "echo/#", 2)
			for i := 0; i < 20; i++ {
				publish(t, c, "echo/"+strconv.Itoa(i), "x", byte(i%3), i%2 == 0)
			}
			waitMessages(t, c, 20)
		})
	}
}
