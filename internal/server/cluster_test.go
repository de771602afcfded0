package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/courselab/courselab/internal/browsertest"
	"github.com/courselab/courselab/internal/pgtest"
	"github.com/courselab/courselab/labs"
)

func TestMain(m *testing.M) {
	stopBrowser := browsertest.Share() // one Chromium for the package's browser tests
	code := pgtest.Main(m)
	stopBrowser()
	os.Exit(code)
}

// TestTwoNodesShareOneClassThroughPostgreSQL runs two servers on one
// PostgreSQL database with one secret, as two nodes of a cluster: a
// learner who joined on one is known on the other, the instructor on the
// first sees the learner's progress made on the second live and in the
// CSV, and a reset pressed on the first drops the sandbox on the second.
func TestTwoNodesShareOneClassThroughPostgreSQL(t *testing.T) {
	db := pgtest.Database(t)
	a := startServerOn(t, quizFixture(), true, t.TempDir(), db)
	b := startServerOn(t, quizFixture(), true, t.TempDir(), db)

	teacher := browser(t)
	do(t, teacher, "POST", a.URL+"/teach/login", url.Values{"token": {testInstructorToken}})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.URL+"/teach/events", nil)
	resp, err := teacher.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
		close(events)
	}()

	// Ada joins on node b; her cookie, signed by b, is good on a too.
	ada := join(t, b, "Ada")
	if r := do(t, ada, "GET", a.URL+"/courses/quizzy/one", nil); r.status != http.StatusOK {
		t.Fatalf("node a refused the cookie node b signed: %d", r.status)
	}
	postJSON(t, ada, b.URL+"/api/courses/quizzy/quizzes/qos/answer", `{"answer":"a1"}`)

	for seen := false; !seen; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream ended")
			}
			// Ada's row arrives whole (she is new to the page), her answer as
			// changed cells.
			seen = strings.Contains(ev, "event: table") && strings.Contains(ev, "Ada") && strings.Contains(ev, "cell tried") ||
				strings.Contains(ev, "event: cells") && strings.Contains(ev, `"c":"tried"`)
		case <-ctx.Done():
			t.Fatal("node a's dashboard did not show Ada's answer on node b within 15 s")
		}
	}
	r := do(t, teacher, "GET", a.URL+"/teach/export.csv", nil)
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != "Ada" {
		t.Fatalf("CSV on node a: %v\n%s", err, r.body)
	}

	// Ada's sandbox lives on node b; the reset is pressed on node a.
	id := rows[1][0]
	if _, err := b.labs.Sandbox(id, labs.DefaultSetup()); err != nil {
		t.Fatal(err)
	}
	if r := do(t, teacher, "POST", a.URL+"/teach/learners/"+url.PathEscape(id)+"/reset-lab", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("reset on node a: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.labs.Lookup(id) != nil {
		if time.Now().After(deadline) {
			t.Fatal("node b still holds the sandbox 10 s after the reset on node a")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthzFailsWhenTheDatabaseIsGone(t *testing.T) {
	ts := startServer(t, quizFixture(), false)
	if r := get(t, ts.URL+"/healthz"); r.status != http.StatusOK {
		t.Fatalf("healthz with the database up: %d %s", r.status, r.body)
	}
	ts.store.Close()
	r := get(t, ts.URL+"/healthz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "database") {
		t.Fatalf("healthz with the database closed: %d %s, want 503 naming the database", r.status, r.body)
	}
}
