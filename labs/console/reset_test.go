package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/console"
	"github.com/courselab/courselab/labs/labtest"
)

// TestAResetLabReconnectsTheConsoleClientsAndSaysSo: the instructor resets
// the lab (Labs.Reclaim) under two connected console clients, MQTT 5 and
// 3.1.1. Each reconnects by itself to the fresh sandbox with its
// subscriptions, receives what is published there, and the learner reads
// what happened in words: a "notice" update and a "notice" journal line. A
// client the learner had disconnected stays disconnected.
func TestAResetLabReconnectsTheConsoleClientsAndSaysSo(t *testing.T) {
	l, d := newDesk(t, console.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	updates, _ := d.Watch(ctx)

	var live []*console.Client
	for _, p := range protocols {
		c := open(t, d, console.Options{ClientID: "web-" + p, Protocol: p, CleanStart: true})
		subscribe(t, c, "devices/+/status", 1)
		live = append(live, c)
	}
	idle := open(t, d, console.Options{ClientID: "web-idle", CleanStart: true})
	if err := idle.Disconnect(); err != nil {
		t.Fatal(err)
	}
	old := l.Lookup(labs.PersonalLearner)

	l.Reclaim(labs.PersonalLearner)

	var notice string
	timeout := time.After(3 * labtest.Wait)
	for notice == "" {
		select {
		case u := <-updates:
			if u.Kind == "notice" {
				notice = u.Notice
			}
			if u.Client != nil && strings.Contains(u.Client.Reason, "closed pipe") {
				t.Errorf("a card showed %q", u.Client.Reason)
			}
		case <-timeout:
			t.Fatal("no notice after the reset")
		}
	}
	for _, w := range []string{"Your instructor reset your lab", `"web-5"`, `"web-3.1.1"`, "reconnected by themselves"} {
		if !strings.Contains(notice, w) {
			t.Errorf("notice %q lacks %q", notice, w)
		}
	}
	if strings.Contains(notice, "web-idle") {
		t.Errorf("notice %q names the client the learner had disconnected", notice)
	}

	fresh := l.Lookup(labs.PersonalLearner)
	if fresh == nil || fresh == old {
		t.Fatal("no fresh sandbox after the reset")
	}
	found := false
	for _, e := range fresh.Journal().Since(0) {
		if e.Kind == labs.KindNotice && e.Notice().Message == notice && e.Platform {
			found = true
		}
	}
	if !found {
		t.Errorf("the fresh sandbox's journal lacks the notice line: %+v", fresh.Journal().Since(0))
	}
	for _, c := range live {
		info := c.Info(false)
		if info.State != console.StateConnected || len(info.Subscriptions) != 1 || info.Subscriptions[0].Filter != "devices/+/status" {
			t.Errorf("%s after the reset: %s (%s), subscriptions %+v", info.ClientID, info.State, info.Reason, info.Subscriptions)
		}
	}
	if err := fresh.Publish("devices/ESPDEVICE/status", []byte("online"), 1, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range live {
		if m := waitMessages(t, c, 1); m[len(m)-1].Payload != "online" {
			t.Errorf("%s received %+v after the reset", c.Info(false).ClientID, m)
		}
	}
	if s := idle.Info(false).State; s != console.StateDisconnected {
		t.Errorf("the disconnected client is %s after the reset, want it left disconnected", s)
	}
}
