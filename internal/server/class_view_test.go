package server

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// dashEvent is one Server-Sent Event as read off the wire, with its size.
type dashEvent struct {
	name, data string
	bytes      int
}

// readDashboard reads the stream at u into a channel of events until ctx ends.
func readDashboard(t *testing.T, ctx context.Context, c *http.Client, u string) <-chan dashEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	out := make(chan dashEvent, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		var ev dashEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			ev.bytes += len(line) + 1
			switch {
			case line == "":
				if ev.name != "" {
					ev.data = strings.Join(data, "\n")
					out <- ev
				}
				ev, data = dashEvent{}, nil
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return out
}

func nextDashEvent(t *testing.T, events <-chan dashEvent, name string) dashEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended before a %q event", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event within 10 s", name)
		}
	}
}

func instructor(t *testing.T, ts *testServer) *http.Client {
	t.Helper()
	b := browser(t)
	if r := do(t, b, "POST", ts.URL+"/teach/login", url.Values{"token": {testInstructorToken}}); r.status != http.StatusSeeOther {
		t.Fatalf("instructor login: %d", r.status)
	}
	return b
}

// TestTeachSendsOnlyTheChangedCellsToEachDashboard fills a class with 1,000
// learners, opens two dashboards and lets one learner answer a quiz: each
// dashboard gets that learner's changed cells, a few hundred bytes, not the
// table; and /teach shows one page of 50 learners with a way to the next.
func TestTeachSendsOnlyTheChangedCellsToEachDashboard(t *testing.T) {
	ts := startServer(t, quizFixture(), true)
	ts.cfg.MaxLearners = 0
	ada := join(t, ts, "Ada Lovelace")
	ctx := context.Background()
	for i := range 999 {
		if _, err := ts.store.EnsureLearner(ctx, fmt.Sprintf("learner-%04d", i), fmt.Sprintf("Learner %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	teacher := instructor(t, ts)

	start := time.Now()
	page := do(t, teacher, "GET", ts.URL+"/teach", nil)
	t.Logf("/teach with 1,000 learners: %d bytes in %v", len(page.body), time.Since(start))
	if page.status != 200 || strings.Count(page.body, "data-learner=") != classPageSize || !strings.Contains(page.body, "page 1 of 20") {
		t.Fatalf("/teach: %d, %d rows; want one page of %d of 20", page.status, strings.Count(page.body, "data-learner="), classPageSize)
	}
	if r := do(t, teacher, "GET", ts.URL+"/teach?q=ada", nil); strings.Count(r.body, "data-learner=") != 1 || !strings.Contains(r.body, "Ada Lovelace") {
		t.Errorf("filter by name: %d rows", strings.Count(r.body, "data-learner="))
	}
	if r := do(t, teacher, "GET", ts.URL+"/teach?sort=name&page=20", nil); !strings.Contains(r.body, "Learner 998") || strings.Contains(r.body, "Ada Lovelace") {
		t.Errorf("sort by name, last page: lacks Learner 998 or holds Ada: %s", r.body[strings.Index(r.body, "<tbody>"):][:600])
	}

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var dashboards []<-chan dashEvent
	for range 2 {
		ev := readDashboard(t, sctx, instructor(t, ts), ts.URL+"/teach/events")
		if first := nextDashEvent(t, ev, "table"); !strings.Contains(first.data, "Ada Lovelace") {
			t.Fatal("first page of the stream lacks Ada")
		}
		dashboards = append(dashboards, ev)
	}
	if r := postJSON(t, ada, ts.URL+"/api/courses/quizzy/quizzes/qos/answer", `{"answer":"a1"}`); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	for i, ev := range dashboards {
		ch := nextDashEvent(t, ev, "cells")
		t.Logf("dashboard %d: %d bytes for one change: %s", i, ch.bytes, ch.data)
		if ch.bytes >= 2048 || !strings.Contains(ch.data, `"l":"ada-lovelace-`) || !strings.Contains(ch.data, `"c":"tried"`) {
			t.Errorf("dashboard %d got %d bytes: %s", i, ch.bytes, ch.data)
		}
	}
}
