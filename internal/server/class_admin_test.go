package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/courselab/courselab/internal/store"
)

// createClass posts the new-class form as the instructor and returns the
// class's id.
func createClass(t *testing.T, ts *testServer, teacher *http.Client, form url.Values) string {
	t.Helper()
	r := do(t, teacher, "POST", ts.URL+"/teach/classes", form)
	m := regexp.MustCompile(`saved=([a-z0-9-]+)`).FindStringSubmatch(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create class %v: %d %s\n%s", form, r.status, r.header.Get("Location"), r.body)
	}
	return m[1]
}

// joinWith joins with a name and a code and returns the response.
func joinWith(t *testing.T, ts *testServer, b *http.Client, name, code string) response {
	t.Helper()
	return do(t, b, "POST", ts.URL+"/join", url.Values{"name": {name}, "code": {code}, "next": {"/"}})
}

// TestLearnersJoinTheClassOfTheirCodeAndTeachShowsOneClass: a class with a
// code and one course; a learner joins it with the code (typed in lower
// case, with a space), another joins without a code and lands in the
// default class; each class's table, live stream and CSV hold its own
// learner and its own courses only.
func TestLearnersJoinTheClassOfTheirCodeAndTeachShowsOneClass(t *testing.T) {
	ts := newTestServer(t, true)
	teacher := instructor(t, ts)
	if r := do(t, teacher, "POST", ts.URL+"/teach/classes", url.Values{"name": {"Evil"}, "code": {"EVIL1"}}, "Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Fatalf("cross-site class creation: %d, want 403", r.status)
	}
	b := createClass(t, ts, teacher, url.Values{"name": {"Monday group"}, "code": {"MON42"}, "open": {"1"}, "course": {"loose", "no-such-course"}})

	ada := browser(t)
	if r := joinWith(t, ts, ada, "Ada", "mon 42"); r.status != http.StatusSeeOther {
		t.Fatalf("join with the code: %d\n%s", r.status, r.body)
	}
	join(t, ts, "Grace")
	ctx := context.Background()
	all, _ := ts.store.Learners(ctx)
	classOf := map[string]string{}
	for _, l := range all {
		classOf[l.Name] = l.Class
	}
	if classOf["Ada"] != b || classOf["Grace"] != store.DefaultClass {
		t.Fatalf("classes of the learners: %v; want Ada in %s, Grace in the default class", classOf, b)
	}
	class, _ := ts.store.Class(ctx, b)
	if len(class.Courses) != 1 || class.Courses[0] != "loose" {
		t.Errorf("class courses %v; want [loose] (an unknown course id is dropped)", class.Courses)
	}

	mon := do(t, teacher, "GET", ts.URL+"/teach?class="+b, nil)
	def := do(t, teacher, "GET", ts.URL+"/teach", nil)
	if !strings.Contains(mon.body, ">Ada<") || strings.Contains(mon.body, ">Grace<") || !strings.Contains(mon.body, "MON42") {
		t.Errorf("Monday's table should show Ada and its code, not Grace")
	}
	if strings.Contains(mon.body, "Hello course") || !strings.Contains(mon.body, "Loose course") {
		t.Errorf("Monday's table should have the columns of its one course")
	}
	if !strings.Contains(def.body, ">Grace<") || strings.Contains(def.body, ">Ada<") || !strings.Contains(def.body, "Hello course") {
		t.Errorf("the default table should show Grace and every course, not Ada")
	}
	for _, page := range []string{mon.body, def.body} {
		if !strings.Contains(page, `aria-current="page">Monday group`) && !strings.Contains(page, `aria-current="page">Default class`) {
			t.Errorf("no current class in the switcher")
		}
		if !strings.Contains(page, `href="/teach?class=`+b+`"`) || !strings.Contains(page, `href="/teach"`) {
			t.Errorf("the switcher does not link both classes")
		}
	}
	if !strings.Contains(mon.body, `data-events="/teach/events?class=`+b+`"`) || !strings.Contains(mon.body, `href="/teach/export.csv?class=`+b+`"`) {
		t.Errorf("Monday's live stream and CSV are not scoped to it")
	}

	monCSV := do(t, teacher, "GET", ts.URL+"/teach/export.csv?class="+b, nil)
	defCSV := do(t, teacher, "GET", ts.URL+"/teach/export.csv", nil)
	if !strings.Contains(monCSV.body, ",Ada,") || strings.Contains(monCSV.body, "Grace") || strings.Contains(monCSV.body, "hello/") {
		t.Errorf("Monday's CSV:\n%s", monCSV.body)
	}
	if !strings.Contains(defCSV.body, ",Grace,") || strings.Contains(defCSV.body, "Ada") {
		t.Errorf("default CSV:\n%s", defCSV.body)
	}
	if r := do(t, teacher, "GET", ts.URL+"/teach?class=nope", nil); r.status != http.StatusNotFound || !strings.Contains(r.body, "There is no class") {
		t.Errorf("unknown class: %d", r.status)
	}

	// Names are unique within a class only.
	if r := joinWith(t, ts, browser(t), "ada", "MON42"); r.status != http.StatusConflict || !strings.Contains(r.body, "name-taken") {
		t.Errorf("a second Ada in Monday's class: %d, want 409 asking whether this is Ada", r.status)
	}
	if r := joinWith(t, ts, browser(t), "Ada", ""); r.status != http.StatusSeeOther {
		t.Errorf("an Ada in the default class: %d, want 303", r.status)
	}
}

// TestAWrongCodeAndAClosedClassEachGetAClearPageAndChangeNothing.
func TestAWrongCodeAndAClosedClassEachGetAClearPageAndChangeNothing(t *testing.T) {
	ts := newTestServer(t, true)
	teacher := instructor(t, ts)
	b := createClass(t, ts, teacher, url.Values{"name": {"Tuesday"}, "code": {"TUE-77"}, "open": {"1"}})
	ada := join(t, ts, "Ada")

	guess := browser(t)
	r := joinWith(t, ts, guess, "Mallory", "TUE-78")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, `No class has the code \"TUE-78\"`) && !strings.Contains(r.body, "No class has the code &#34;TUE-78&#34;") {
		t.Fatalf("wrong code: %d, want 400 naming the code\n%s", r.status, r.body)
	}
	if !strings.Contains(r.body, `value="Mallory"`) || !strings.Contains(r.body, `id="code-error"`) {
		t.Error("the wrong-code page lost the name or does not mark the code field")
	}
	if r := joinWith(t, ts, browser(t), "Mallory", "<script>"); r.status != http.StatusBadRequest || strings.Contains(r.body, "<SCRIPT>") {
		t.Errorf("a code with markup: %d", r.status)
	}

	// Closed: the form is saved without "open".
	if r := do(t, teacher, "POST", ts.URL+"/teach/classes/"+b, url.Values{"name": {"Tuesday"}, "code": {"TUE-77"}}); r.status != http.StatusSeeOther {
		t.Fatalf("close the class: %d\n%s", r.status, r.body)
	}
	r = joinWith(t, ts, browser(t), "Linus", "TUE-77")
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "This class is closed") || !strings.Contains(r.body, "Tuesday") || strings.Contains(r.body, `name="name"`) {
		t.Fatalf("closed class: %d, want 403 naming the class, without the form\n%s", r.status, r.body)
	}
	all, _ := ts.store.Learners(context.Background())
	if len(all) != 1 {
		t.Errorf("learners after a wrong code and a closed class: %d, want Ada alone", len(all))
	}
	for _, c := range []*http.Client{guess} {
		for _, ck := range c.Jar.Cookies(mustURL(t, ts.URL)) {
			if ck.Name == learnerCookie {
				t.Error("a refused join got a session cookie")
			}
		}
	}
	if r := do(t, ada, "GET", ts.URL+"/courses/hello", nil); r.status != http.StatusOK {
		t.Errorf("Ada, already in, after the refusals: %d", r.status)
	}
}

// TestClassFormRefusesABadNameOrCodeAndATakenCode: the form comes back with
// what was typed and what is wrong; nothing is stored.
func TestClassFormRefusesABadNameOrCodeAndATakenCode(t *testing.T) {
	ts := newTestServer(t, true)
	teacher := instructor(t, ts)
	createClass(t, ts, teacher, url.Values{"name": {"Wednesday"}, "code": {"WED1"}, "open": {"1"}})
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {""}, "code": {"ABCD"}}, http.StatusBadRequest, "Give the class a name"},
		{url.Values{"name": {"X"}, "code": {"AB"}}, http.StatusBadRequest, "4 to 20"},
		{url.Values{"name": {"X"}, "code": {"ÄBCDE"}}, http.StatusBadRequest, "only letters A to Z"},
		{url.Values{"name": {"Thursday"}, "code": {"wed1"}}, http.StatusConflict, "Another class already has the code WED1"},
	} {
		r := do(t, teacher, "POST", ts.URL+"/teach/classes", tc.form)
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("%v: %d, want %d saying %q", tc.form, r.status, tc.status, tc.want)
		}
	}
	list, _ := ts.store.Classes(context.Background())
	if len(list) != 2 {
		t.Errorf("classes stored: %d, want the default class and Wednesday", len(list))
	}
	page := do(t, teacher, "GET", ts.URL+"/teach/classes/new", nil)
	if page.status != 200 || !regexp.MustCompile(`name="code" value="[A-Z2-9]{6}"`).MatchString(page.body) {
		t.Errorf("the new-class form should suggest a code: %d", page.status)
	}
	if r := do(t, browser(t), "GET", ts.URL+"/teach/classes", nil); r.status != http.StatusUnauthorized {
		t.Errorf("classes without signing in: %d", r.status)
	}
}

// TestTheDashboardOfOneClassIsNotWokenByAnother: a change by a learner of
// class B reaches B's subscribers and not the default class's.
func TestTheDashboardOfOneClassIsNotWokenByAnother(t *testing.T) {
	var f classFeed
	a, stopA := f.subscribe(store.DefaultClass)
	defer stopA()
	b, stopB := f.subscribe("b")
	defer stopB()
	f.notify("b", "ada")
	if got, all := f.take(b); len(got) != 1 || got[0] != "ada" || all {
		t.Errorf("class b's dashboard got %v (all %v)", got, all)
	}
	select {
	case <-a.ch:
		t.Error("the default class's dashboard was woken by a learner of class b")
	default:
	}
	f.notify("", "old-node-learner") // a class unknown: everyone looks
	if got, _ := f.take(a); len(got) != 1 {
		t.Errorf("a change of unknown class did not reach the default dashboard: %v", got)
	}
}
