package labs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

func TestCredentialsAreStableAndChecked(t *testing.T) {
	a := labtest.NewLabs(t, labs.Config{Secret: []byte("k")})
	b := labtest.NewLabs(t, labs.Config{Secret: []byte("k")})
	other := labtest.NewLabs(t, labs.Config{Secret: []byte("other")})
	ca := a.Credentials("learner-1")
	if ca != b.Credentials("learner-1") {
		t.Fatal("same secret must give the same credentials (they survive a restart)")
	}
	if ca == other.Credentials("learner-1") || ca == a.Credentials("learner-2") {
		t.Fatal("credentials must depend on secret and learner")
	}
	if id, ok := b.LearnerByToken(ca.Token); !ok || id != "learner-1" {
		t.Fatalf("token: %q %v", id, ok)
	}
	for _, bad := range []string{"", ".", "x.y", ca.Token + "x", other.Credentials("learner-1").Token} {
		if _, ok := a.LearnerByToken(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	// With the learner's sandbox made, reset and reclaimed, the token is
	// checked against the one the sandbox keeps: the same answers.
	for _, step := range []func(){
		func() { _, _ = a.Sandbox("learner-1", labs.Setup{}) },
		func() { a.Reset("learner-1", "") },
		func() { _, _ = a.Sandbox("learner-1", labs.Setup{}) },
		func() { a.Reclaim("learner-1") },
	} {
		step()
		if id, ok := a.LearnerByToken(ca.Token); !ok || id != "learner-1" {
			t.Fatalf("token with %d sandbox(es): %q %v", a.Len(), id, ok)
		}
		for _, bad := range []string{ca.Token + "x", ca.Token[:len(ca.Token)-1], other.Credentials("learner-1").Token,
			ca.Token[:strings.LastIndexByte(ca.Token, '.')] + a.Credentials("learner-2").Token[strings.LastIndexByte(a.Credentials("learner-2").Token, '.'):]} {
			if _, ok := a.LearnerByToken(bad); ok {
				t.Errorf("token %q accepted with %d sandbox(es)", bad, a.Len())
			}
		}
	}
	if _, ok := a.Authenticate(ca.Username, ca.Password); !ok {
		t.Fatal("own password refused")
	}
	if _, ok := a.Authenticate(ca.Username, ca.Password+"x"); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestSandboxCapAndReclaim(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{MaxSandboxes: 2, IdleTimeout: time.Second, Classroom: true})
	if _, err := l.Sandbox("a", labs.DefaultSetup()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Sandbox("b", labs.Setup{}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Sandbox("c", labs.Setup{}); !errors.Is(err, labs.ErrTooManySandboxes) {
		t.Fatalf("over the cap: %v", err)
	}
	sb := l.Lookup("a")
	events := sb.Journal().Subscribe(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for l.Lookup("a") != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if l.Lookup("a") != nil {
		t.Fatal("idle sandbox not reclaimed")
	}
	if _, ok := <-events; ok {
		t.Fatal("journal subscription still open after reclaim")
	}
	if err := sb.Publish("x", nil, 0, false); !errors.Is(err, labs.ErrSandboxClosed) {
		t.Fatalf("publish on reclaimed sandbox: %v", err)
	}
	if _, err := l.Sandbox("c", labs.Setup{}); err != nil {
		t.Fatalf("after reclaim there is room again: %v", err)
	}
}

func TestJournalIsBoundedAndSlowSubscribersDrop(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	sb, _ := l.Sandbox("j", labs.Setup{})
	ctx, cancel := context.WithCancel(context.Background())
	slow := sb.Journal().Subscribe(ctx)
	for range fillEvents {
		sb.Journal().Add(labs.Event{Kind: labs.KindREST})
	}
	all := sb.Journal().Since(0)
	if len(all) >= fillEvents || all[0].Seq != fillEvents-uint64(len(all))+1 || all[len(all)-1].Seq != fillEvents {
		t.Fatalf("kept %d events from %d", len(all), all[0].Seq)
	}
	if b := sb.Journal().Bytes(); b > labs.JournalBytes {
		t.Fatalf("the journal holds %d bytes, over its budget of %d", b, labs.JournalBytes)
	}
	if got := sb.Journal().Since(fillEvents - 10); len(got) != 10 {
		t.Fatalf("Since: %d", len(got))
	}
	if sb.Journal().Dropped() == 0 {
		t.Fatal("a subscriber that never reads must lose events, not block")
	}
	cancel()
	for range slow {
	}
}

func TestParseSetup(t *testing.T) {
	good := map[string]any{"lab": map[any]any{"devices": []any{
		map[any]any{"id": "ESPDEVICE", "name": "board",
			"sensors":   []any{map[any]any{"id": "TC", "kind": "Temperature", "unit": "DegreeCelsius", "value": 21, "min": 10, "max": 30}},
			"actuators": []any{map[string]any{"id": "LED", "value": false}}},
	}}}
	s, err := labs.ParseSetup(good)
	if err != nil || len(s.Devices) != 1 || s.Devices[0].Sensors[0].ID != "TC" || *s.Devices[0].Sensors[0].Max != 30 {
		t.Fatalf("%+v %v", s, err)
	}
	bad := []struct {
		in   map[string]any
		want string
	}{
		{map[string]any{"device": nil}, `unknown key "device"`},
		{map[string]any{"devices": "ESP"}, "expected a list"},
		{map[string]any{"devices": []any{map[string]any{"name": "x"}}}, "missing id"},
		{map[string]any{"devices": []any{map[string]any{"id": "a/b"}}}, "may only hold"},
		{map[string]any{"devices": []any{map[string]any{"id": "a"}, map[string]any{"id": "a"}}}, "used twice"},
		{map[string]any{"devices": []any{map[string]any{"id": "a", "sensor": []any{}}}}, `unknown key "sensor"`},
		{map[string]any{"devices": []any{map[string]any{"id": "a", "sensors": []any{map[string]any{"id": "t", "value": []any{1}}}}}}, "not a list"},
		{map[string]any{"devices": []any{map[string]any{"id": "a", "sensors": []any{map[string]any{"id": "t", "min": 5, "max": 1}}}}}, "above max"},
	}
	for _, tc := range bad {
		if _, err := labs.ParseSetup(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSetup(%v) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSimulatorStreamsValues(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	sb, _ := l.Sandbox("sim", labs.DefaultSetup())
	if err := sb.Simulator().Start("NOPE", time.Second); !errors.Is(err, labs.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	if err := sb.Simulator().Start("ESPDEVICE", 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	sb.Simulator().Stop("ESPDEVICE")
	if len(sb.Simulator().Running()) != 0 {
		t.Fatal("still running")
	}
	vs, _ := sb.Cloud().Values(labs.Sensors, "ESPDEVICE", "TC")
	if len(vs) < 2 {
		t.Fatalf("simulator produced %d values", len(vs))
	}
	for _, v := range vs {
		if f, ok := v.Value.(float64); ok && (f < 15 || f > 30) {
			t.Fatalf("value %v out of range", f)
		}
	}
}
