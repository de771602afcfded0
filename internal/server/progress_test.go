package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/courselab/courselab/courses"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

const quizCourse = "---\nid: quizzy\ntitle: Quizzy\n---\n# One\n\nRead me.\n\n" +
	"<quiz id=\"qos\" type=\"single-choice\" title=\"What does QoS 1 promise?\">\n" +
	"<answer feedback=\"That is QoS 0.\">Nothing</answer>\n" +
	"<answer feedback=\"Yes: maybe twice, never zero times.\" right>At least once</answer>\n" +
	"</quiz>\n\n" +
	"<quiz id=\"levels\" type=\"multiple-choice\" title=\"Which are QoS levels?\">\n" +
	"<answer feedback=\"Yes, 0.\" right>0</answer>\n" +
	"<answer feedback=\"Yes, 2.\" right>2</answer>\n" +
	"<answer feedback=\"There is no QoS 3.\">3</answer>\n" +
	"</quiz>\n\n# Two\n\nMore.\n"

func quizFixture() fstest.MapFS {
	return fstest.MapFS{"quizzy/index.md": {Data: []byte(quizCourse)}}
}

func postJSON(t *testing.T, c *http.Client, u, body string) response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return response{resp.StatusCode, resp.Header, b.String()}
}

func TestQuizzesAreGradedOnTheServerAndStored(t *testing.T) {
	ts := startServer(t, quizFixture(), false)
	c := browser(t)
	api := ts.URL + "/api/courses/quizzy/quizzes/"
	cases := []struct {
		quiz, body string
		status     int
		correct    bool
		feedback   string
	}{
		{"qos", `{"answers":["a1"]}`, 200, false, "That is QoS 0."},
		{"qos", `{"answer":"a2"}`, 200, true, "Yes: maybe twice"},
		{"levels", `{"answers":["a1"]}`, 200, false, "1 right answer(s) are not chosen yet."},
		{"levels", `{"answers":["a1","a2","a3"]}`, 200, false, "There is no QoS 3."},
		{"levels", `{"answers":["a1","a2"]}`, 200, true, "Yes, 0. Yes, 2."},
		{"qos", `{"answers":["a9"]}`, 400, false, "no answer"},
		{"qos", `{"answers":[]}`, 400, false, "Choose an answer"},
		{"qos", `{"answers":`, 400, false, "JSON"},
		{"nope", `{"answers":["a1"]}`, 404, false, "no quiz"},
	}
	for _, tc := range cases {
		r := postJSON(t, c, api+tc.quiz+"/answer", tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.quiz, tc.body, r.status, tc.status, r.body)
			continue
		}
		if tc.status != 200 {
			var e map[string]string
			if json.Unmarshal([]byte(r.body), &e) != nil || !strings.Contains(e["error"], tc.feedback) {
				t.Errorf("%s %s: error %s, want one mentioning %q", tc.quiz, tc.body, r.body, tc.feedback)
			}
			continue
		}
		var res quizAnswerResponse
		if err := json.Unmarshal([]byte(r.body), &res); err != nil {
			t.Fatal(err)
		}
		if res.Correct != tc.correct || !strings.Contains(res.Feedback, tc.feedback) {
			t.Errorf("%s %s: %+v, want correct=%v with %q", tc.quiz, tc.body, res, tc.correct, tc.feedback)
		}
	}
	if r := postJSON(t, c, ts.URL+"/api/courses/nope/quizzes/qos/answer", `{"answer":"a1"}`); r.status != 404 || !strings.Contains(r.body, `"error"`) {
		t.Errorf("unknown course: %d %s", r.status, r.body)
	}

	// Without JavaScript the form posts and gets a page with the verdict.
	r := do(t, c, "POST", ts.URL+"/courses/quizzy/quizzes/qos", url.Values{"answer": {"a2"}})
	if r.status != 200 || !strings.Contains(r.body, "Right!") || !strings.Contains(r.body, `href="/courses/quizzy/one#quiz-qos"`) {
		t.Errorf("form post: %d\n%s", r.status, r.body)
	}

	p := progressOf(t, c, ts)
	if q := p.Courses["quizzy"].Quizzes["qos"]; !q.Correct || q.Attempts != 3 {
		t.Errorf("stored quiz progress %+v, want correct after 3 attempts", q)
	}
}

type progressDoc struct {
	Learner string                        `json:"learner"`
	Courses map[string]progressJSONCourse `json:"courses"`
}

func progressOf(t *testing.T, c *http.Client, ts *testServer) progressDoc {
	t.Helper()
	r := do(t, c, "GET", ts.URL+"/api/progress", nil)
	var p progressDoc
	if r.status != 200 || json.Unmarshal([]byte(r.body), &p) != nil {
		t.Fatalf("GET /api/progress: %d %s", r.status, r.body)
	}
	return p
}

// sidebarMark is the mark the page's sidebar shows beside a section: "✓",
// "1/2" or "" for none.
func sidebarMark(t *testing.T, page, slug string) string {
	t.Helper()
	i := strings.Index(page, `data-mark="`+slug+`">`)
	if i < 0 {
		t.Fatalf("no mark for %s in the page", slug)
	}
	rest := page[i+len(`data-mark="`+slug+`">`):]
	end := strings.Index(rest, `</span></a>`)
	switch m := rest[:max(end, 0)]; {
	case m == "":
		return ""
	case strings.Contains(m, `class="read-mark"`):
		return "✓"
	case strings.Contains(m, `class="task-mark"`):
		j := strings.Index(m, ">")
		k := strings.Index(m[j:], "<")
		return m[j+1 : j+k]
	default:
		return m
	}
}

func TestOpeningAPageDoesNotMarkItReadTheReportDoesAndItSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServerIn(t, quizFixture(), false, dir)
	c := browser(t)
	// A GET (a curl, a prefetch) reads nothing.
	r := do(t, c, "GET", ts.URL+"/courses/quizzy/two", nil)
	if m := sidebarMark(t, r.body, "two"); m != "" {
		t.Errorf("opening a page marks it %q", m)
	}
	if p := progressOf(t, c, ts); len(p.Courses["quizzy"].Sections) != 0 {
		t.Errorf("opening a page stored it as read: %+v", p.Courses["quizzy"])
	}
	if r := do(t, c, "GET", ts.URL+"/", nil); strings.Contains(r.body, "sections done") {
		t.Error("the catalog shows progress for a course only opened")
	}
	// The page reports a read: a section without tasks is done.
	if r := postJSON(t, c, ts.URL+"/api/courses/quizzy/sections/two/read", `{}`); r.status != http.StatusOK || !strings.Contains(r.body, `"two":"\u003cspan class=\"read-mark\"`) {
		t.Errorf("read report: %d %s", r.status, r.body)
	}
	// Section one holds two quizzes: read, it shows 0/2; one right, 1/2;
	// both right, ✓.
	postJSON(t, c, ts.URL+"/api/courses/quizzy/sections/one/read", `{}`)
	steps := []struct{ quiz, answer, want string }{
		{"", "", "0/2"},
		{"qos", `{"answer":"a2"}`, "1/2"},
		{"levels", `{"answers":["a1","a2"]}`, "✓"},
	}
	for _, st := range steps {
		if st.quiz != "" {
			postJSON(t, c, ts.URL+"/api/courses/quizzy/quizzes/"+st.quiz+"/answer", st.answer)
		}
		if m := sidebarMark(t, do(t, c, "GET", ts.URL+"/courses/quizzy/two", nil).body, "one"); m != st.want {
			t.Errorf("after %q: section one marked %q, want %q", st.quiz, m, st.want)
		}
	}
	if r := do(t, c, "GET", ts.URL+"/", nil); !strings.Contains(r.body, "2 of 2 sections done · 2 of 2 quizzes right") {
		t.Errorf("catalog lacks the course's progress")
	}
	ts.stop()

	again := startServerIn(t, quizFixture(), false, dir)
	p := progressOf(t, c, again)
	got := p.Courses["quizzy"]
	if len(got.Sections) != 2 || !got.Quizzes["qos"].Correct {
		t.Fatalf("after a restart: %+v, want both sections read and the quiz right", got)
	}
	if !slices.Equal(got.Quizzes["levels"].Answers, []string{"a1", "a2"}) {
		t.Errorf("the answers given are not kept to show again: %v", got.Quizzes["levels"].Answers)
	}
	if r := do(t, c, "GET", again.URL+"/progress", nil); r.status != 200 || !strings.Contains(r.body, "2 of 2 sections read") || !strings.Contains(r.body, "2 of 2 quizzes right") {
		t.Errorf("progress page: %d\n%s", r.status, r.body)
	}
	if r := do(t, c, "GET", again.URL+"/courses/quizzy", nil); !strings.Contains(r.body, "You have done the whole course") {
		t.Errorf("the overview of a finished course does not say so")
	}
}

// TestASectionIsDoneWhenAllItsExercisesPass: one exercise of five passed
// shows 1/8 (with the section's three quizzes), not the green ✓; the overview offers to continue there.
func TestASectionIsDoneWhenAllItsExercisesPass(t *testing.T) {
	ts := startServer(t, courses.FS, false)
	if err := ts.store.RecordCheck(context.Background(), labs.PersonalLearner, "mqtt_course", "qos-levels", store.ExerciseResult{Passed: true, Summary: "ok"}); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	page := do(t, c, "GET", ts.URL+"/courses/mqtt_course/introduction", nil).body
	// The section holds 5 exercises and 3 quizzes.
	if m := sidebarMark(t, page, "other-features"); m != "1/8" {
		t.Errorf("other-features with 1 of its 5 exercises (and none of its 3 quizzes) passed is marked %q, want 1/8", m)
	}
	overview := do(t, c, "GET", ts.URL+"/courses/mqtt_course", nil).body
	if !strings.Contains(overview, `href="/courses/mqtt_course/introduction">Continue: Introduction →`) {
		t.Errorf("the overview of a started course does not offer to continue at the first section not done")
	}
	if !strings.Contains(overview, "0 of 7 sections done · 1 of 9 exercises passed") {
		t.Errorf("the overview lacks exercises done")
	}
	if !strings.Contains(page, `href="/progress"`) {
		t.Error("a section page does not link to /progress")
	}
}

func TestTeachSeesTheClassLiveAndExportsCSV(t *testing.T) {
	ts := startServer(t, quizFixture(), true)
	teacher := browser(t)
	do(t, teacher, "POST", ts.URL+"/teach/login", url.Values{"token": {testInstructorToken}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/teach/events", nil)
	resp, err := teacher.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events content type %q", ct)
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev strings.Builder
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(line + "\n")
		}
		close(events)
	}()

	ada := join(t, ts, "=Ada")
	postJSON(t, ada, ts.URL+"/api/courses/quizzy/sections/one/read", `{}`)
	postJSON(t, ada, ts.URL+"/api/courses/quizzy/quizzes/qos/answer", `{"answer":"a1"}`)

	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event stream ended before the learner showed up")
			}
			// The whole page (Ada is new to it), then only her changed cells.
			if strings.Contains(ev, "event: table") && strings.Contains(ev, "=Ada") && strings.Contains(ev, "cell tried") ||
				strings.Contains(ev, "event: cells") && strings.Contains(ev, `"c":"tried"`) {
				goto live
			}
		case <-ctx.Done():
			t.Fatal("no table update with Ada's read section and wrong quiz answer within 10 s")
		}
	}
live:
	r := do(t, teacher, "GET", ts.URL+"/teach/export.csv", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.status, r.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %v, %d rows:\n%s", err, len(rows), r.body)
	}
	head, row := strings.Join(rows[0], ","), rows[1]
	if !strings.Contains(head, "quizzy/section/one") || !strings.Contains(head, "quizzy/quiz/qos") {
		t.Errorf("CSV header %q", head)
	}
	if row[1] != "'=Ada" {
		t.Errorf("name %q: a formula-like name must be defused for spreadsheets", row[1])
	}
	cells := map[string]string{}
	for i, h := range rows[0] {
		cells[h] = row[i]
	}
	if !strings.HasPrefix(cells["quizzy/section/one"], "done ") || !strings.HasPrefix(cells["quizzy/quiz/qos"], "tried ") || cells["quizzy/section/two"] != "" {
		t.Errorf("CSV cells %v", cells)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/teach/export.csv", nil); r.status != http.StatusUnauthorized {
		t.Errorf("export without the token: %d", r.status)
	}
}

// TestTheNoScriptQuizVerdictLinksBackToTheQuiz: the verdict page's way
// back is an anchor that exists on the section page.
func TestTheNoScriptQuizVerdictLinksBackToTheQuiz(t *testing.T) {
	ts := startServer(t, quizFixture(), false)
	c := browser(t)
	r := do(t, c, "POST", ts.URL+"/courses/quizzy/quizzes/qos", url.Values{"answer": {"a2"}}, "Origin", ts.URL)
	const back = `href="/courses/quizzy/one#quiz-qos"`
	if r.status != http.StatusOK || !strings.Contains(r.body, back) {
		t.Fatalf("verdict page: %d, want a link %s:\n%s", r.status, back, r.body)
	}
	if page := do(t, c, "GET", ts.URL+"/courses/quizzy/one", nil).body; !strings.Contains(page, `id="quiz-qos"`) {
		t.Error("the section page has no element with id quiz-qos")
	}
}
