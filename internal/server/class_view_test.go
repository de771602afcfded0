package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
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
func readDashboard(t testing.TB, ctx context.Context, c *http.Client, u string) <-chan dashEvent {
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

func nextDashEvent(t testing.TB, events <-chan dashEvent, name string) dashEvent {
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

// BenchmarkTeachWithThousandLearners measures /teach (one page of 50) with
// 1,000 learners against the anchor of the same run, the CSV export of the
// whole class, which reads and writes every row as the old live table did;
// and the bytes one quiz answer sends to an open dashboard.
//
//	go test -run '^$' -bench TeachWithThousandLearners -benchtime 20x ./internal/server
func BenchmarkTeachWithThousandLearners(b *testing.B) { benchTeach(b, 1000) }

// BenchmarkTeachWithTenThousandLearners is the same with 10,000 learners.
//
//	go test -run '^$' -bench TeachWithTenThousandLearners -benchtime 10x ./internal/server
func BenchmarkTeachWithTenThousandLearners(b *testing.B) { benchTeach(b, 10000) }

// fillClass adds n learners to the default class: half have read the
// first section, a third answered the first quiz (every other one wrongly),
// so that the table and the overview above it have something to show.
func fillClass(b testing.TB, ts *testServer, n int) []string {
	b.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("learner-%05d", i)
		ids[i] = id
		if _, err := ts.store.EnsureLearner(ctx, id, fmt.Sprintf("Learner %d", i)); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			if err := ts.store.MarkSectionRead(ctx, id, "quizzy", "one"); err != nil {
				b.Fatal(err)
			}
		}
		if i%3 == 0 {
			answer := []string{"a1", "a2"}[i%2]
			if err := ts.store.SaveQuizAnswer(ctx, id, "quizzy", "qos", []string{answer}, answer == "a2"); err != nil {
				b.Fatal(err)
			}
		}
	}
	return ids
}

func benchTeach(b *testing.B, learners int) {
	ts := startServer(b, quizFixture(), true)
	ts.cfg.MaxLearners = 0
	ids := fillClass(b, ts, learners)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if _, err := c.PostForm(ts.URL+"/teach/login", url.Values{"token": {testInstructorToken}}); err != nil {
		b.Fatal(err)
	}
	get := func(path string) (time.Duration, int) {
		start := time.Now()
		resp, err := c.Get(ts.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), int(n)
	}
	var page, export time.Duration
	var pageBytes, exportBytes int
	b.ResetTimer()
	for range b.N {
		d, n := get("/teach")
		page, pageBytes = page+d, n
		d, n = get("/teach/export.csv")
		export, exportBytes = export+d, n
	}
	b.StopTimer()
	b.ReportMetric(float64(page.Microseconds())/float64(b.N)/1000, "teach-ms")
	b.ReportMetric(float64(export.Microseconds())/float64(b.N)/1000, "export-ms")
	b.ReportMetric(float64(page)/float64(export), "teach/export")
	b.ReportMetric(float64(pageBytes), "teach-bytes")
	b.ReportMetric(float64(exportBytes), "export-bytes")

	// One learner of the first page answers: what reaches the dashboard.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := readDashboard(b, ctx, c, ts.URL+"/teach/events")
	nextDashEvent(b, events, "table")
	learner := &http.Client{}
	req, _ := http.NewRequest("POST", ts.URL+"/api/courses/quizzy/quizzes/levels/answer", strings.NewReader(`{"answers":["a3"]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", learnerCookie+"="+ts.srv.cookies.Sign(ids[1]))
	resp, err := learner.Do(req)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("answer: %v %v", resp, err)
	}
	resp.Body.Close()
	change := nextDashEvent(b, events, "cells")
	b.ReportMetric(float64(change.bytes), "bytes/change")
}

// TestEveryInstructorSessionKeepsItsOwnDashboards signs in more instructors
// than one person's stream limit and opens a dashboard for each: a
// progress change reaches every one of them, none is ended as superseded
// by another instructor's.
func TestEveryInstructorSessionKeepsItsOwnDashboards(t *testing.T) {
	ts := startServer(t, quizFixture(), true)
	ada := join(t, ts, "Ada Lovelace")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var dashboards []<-chan dashEvent
	for i := range streamsPerPerson + 2 {
		ev := readDashboard(t, ctx, signedInInstructor(t, ts, fmt.Sprintf("instructor %d", i)), ts.URL+"/teach/events")
		nextDashEvent(t, ev, "table")
		dashboards = append(dashboards, ev)
	}
	if r := postJSON(t, ada, ts.URL+"/api/courses/quizzy/quizzes/qos/answer", `{"answer":"a1"}`); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	for i, ev := range dashboards {
		for e := range ev {
			if e.name == "superseded" {
				t.Fatalf("dashboard %d of %d was ended by another instructor's", i+1, len(dashboards))
			}
			if e.name == "cells" {
				break
			}
		}
	}
}

// signedInInstructor is a client with an instructor session of its own,
// started as signing in does (the sign-in form allows only a few tries a
// minute from one address).
func signedInInstructor(t testing.TB, ts *testServer, who string) *http.Client {
	t.Helper()
	is, err := ts.store.StartInstructorSession(context.Background(), who, instructorSessionTTL)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, []*http.Cookie{{Name: instructorCookie, Value: ts.srv.instructor.Sign("session:" + is.ID)}})
	return &http.Client{Jar: jar}
}
