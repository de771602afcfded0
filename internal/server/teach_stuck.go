package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

// The overview above /teach answers "where is my class stuck": per
// exercise and quiz who passed, tried or has not started, how many
// attempts and how long passing took, the mistakes most learners make, and
// who is stuck right now. It is computed from the attempt tables summed up
// by the database (store.ClassAttempts), so its cost grows with learners ×
// items, never with the attempts.

// idleAfter is how long a learner whose clients stay connected may do
// nothing (no page read, answer, Check, nor packet of their own) before
// the overview lists them as perhaps stuck.
const idleAfter = 20 * time.Minute

// Bounds of the lists the overview shows; each links to the rest.
const (
	overviewMistakes     = 5  // the class's most common mistakes
	overviewItemMistakes = 2  // per exercise or quiz
	overviewStuck        = 12 // stuck learners named
)

// classOverview is the compact picture above the table.
type classOverview struct {
	Class     string // its id
	At        time.Time
	Learners  int
	Items     []overviewItem
	Mistakes  []overviewMistake // the most common ones, across the class
	Stuck     []stuckLearner    // failing the same check for stuckAfter, then idle with their lab open
	MoreStuck int               // stuck learners not named
}

// overviewItem is one exercise or quiz in the overview.
type overviewItem struct {
	Course, Kind, ID, Title string
	Passed, Tried, Fresh    int // learners: passed, tried without passing, not started
	MedianAttempts          string
	MedianTime              string            // to pass, from opening the section
	Mistakes                []overviewMistake // its most common, at most overviewItemMistakes
}

// BarPassed and BarTried are the item's stacked bar: the share of the
// class, in percent, that passed and that tried without passing.
func (it overviewItem) BarPassed() float64 { return it.share(it.Passed) }

// BarTried: see BarPassed.
func (it overviewItem) BarTried() float64 { return it.share(it.Tried) }

func (it overviewItem) share(n int) float64 {
	all := it.Passed + it.Tried + it.Fresh
	if all == 0 {
		return 0
	}
	return 100 * float64(n) / float64(all)
}

// Summary says the bar in words, for screen readers and tooltips.
func (it overviewItem) Summary() string {
	return fmt.Sprintf("%d passed, %d tried without passing yet, %d not started", it.Passed, it.Tried, it.Fresh)
}

// overviewMistake is one mistake and the learners who made it.
type overviewMistake struct {
	Item     string        // the exercise or quiz's title
	Text     template.HTML // what went wrong, in the check's words or the wrong answer
	Learners int
	Still    int // who have not passed since
	Link     string
}

// stuckLearner is someone the instructor may want to help now.
type stuckLearner struct {
	ID, Name string
	Why      string
	Since    time.Time
}

// Refresh is /teach showing the overview's class.
func (o classOverview) Refresh() string { return classTableURL(o.Class) }

// StuckFirst is the class table, stuck learners first.
func (o classOverview) StuckFirst() string { return classView{Class: o.Class}.WithSort("stuck") }

// classTableURL is /teach showing class, every learner.
func classTableURL(class string) string { return classView{Class: class, Sort: "joined"}.Link() }

// Link is the learner's page.
func (l stuckLearner) Link() string { return learnerPageURL(l.ID) }

// learnerPageURL is one learner's page on the dashboard.
func learnerPageURL(id string) string { return "/teach/learners/" + url.PathEscape(id) }

// mistakeURL lists the learners of class who made one mistake.
func mistakeURL(class, course, kind, item, key string) string {
	q := url.Values{"course": {course}, "kind": {kind}, "item": {item}, "key": {key}}
	if class != store.DefaultClass {
		q.Set("class", class)
	}
	return "/teach/mistakes?" + q.Encode()
}

// classOverview reads the attempts of class and shapes its overview.
func (s *Server) classOverview(c echo.Context, class store.Class) (classOverview, error) {
	ca, err := s.store.ClassAttempts(c.Request().Context(), class.ID)
	if err != nil {
		return classOverview{}, err
	}
	return buildOverview(s.courses.Catalog(), class, ca, s.clock(), s.idleSince), nil
}

// idleSince says when the learner's own clients last did something in a
// lab that is open (on this node, with a client connected); ok is false
// when the lab is not open here. Only the journal's newest events are
// read: a lab whose newest ones are all the platform's is quiet.
func (s *Server) idleSince(learner string) (last time.Time, ok bool) {
	sb := s.labs.Lookup(learner)
	if sb == nil || sb.Connected() == 0 {
		return time.Time{}, false
	}
	const recent = 64
	j := sb.Journal()
	evs := j.Since(max(j.LastSeq(), recent) - recent)
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; !e.Platform && e.Kind != labs.KindRefused {
			return e.Time, true
		}
	}
	return time.Time{}, true
}

// buildOverview is classOverview's arithmetic; idle tells whether a
// learner's lab is open and when their clients last did something.
func buildOverview(cat *content.Catalog, class store.Class, ca store.ClassAttempts, now time.Time, idle func(string) (time.Time, bool)) classOverview {
	learners := ca.Learners
	o := classOverview{Class: class.ID, At: now, Learners: len(learners)}
	type itemKey struct{ course, kind, id string }
	type readKey struct{ learner, course, section string }
	reads := make(map[readKey]time.Time, len(ca.Reads))
	for _, r := range ca.Reads {
		reads[readKey{r.Learner, r.Course, r.Section}] = r.At
	}
	byItem := map[itemKey][]store.ItemAttempts{}
	for _, a := range ca.Items {
		k := itemKey{a.Course, a.Kind, a.Item}
		byItem[k] = append(byItem[k], a)
	}
	mistakes := map[itemKey][]store.FailureGroup{}
	for _, g := range ca.Failures {
		k := itemKey{g.Course, g.Kind, g.Item}
		mistakes[k] = append(mistakes[k], g)
	}
	names := make(map[string]store.Learner, len(learners))
	for _, l := range learners {
		names[l.ID] = l
	}

	var all []overviewMistake
	var failing []stuckLearner
	stuckIDs := map[string]bool{}
	for _, course := range cat.Courses {
		if !class.Takes(course.ID) {
			continue
		}
		for _, sec := range course.Sections {
			add := func(kind, id, title string, quiz *content.Quiz) {
				k := itemKey{course.ID, kind, id}
				it := overviewItem{Course: course.ID, Kind: kind, ID: id, Title: title}
				var attempts []float64
				var times []time.Duration
				for _, a := range byItem[k] {
					if !a.Passed() {
						it.Tried++
						if kind == store.KindExercise && now.Sub(a.First) >= stuckAfter {
							l := names[a.Learner]
							failing = append(failing, stuckLearner{ID: a.Learner, Name: cmp.Or(l.Name, a.Learner), Since: a.First,
								Why: fmt.Sprintf("failing %s for %s (%d checks)", title, roughDuration(now.Sub(a.First)), a.Attempts)})
							stuckIDs[a.Learner] = true
						}
						continue
					}
					it.Passed++
					attempts = append(attempts, float64(a.PassAttempt))
					from := a.First
					if at, ok := reads[readKey{a.Learner, course.ID, sec.Slug}]; ok && at.Before(from) {
						from = at
					}
					times = append(times, a.PassAt.Sub(from))
				}
				it.Fresh = max(0, len(learners)-it.Passed-it.Tried)
				if len(attempts) > 0 {
					it.MedianAttempts = trimFloat(median(attempts))
					it.MedianTime = roughDuration(medianDuration(times))
				}
				groups := mistakes[k]
				slices.SortFunc(groups, func(a, b store.FailureGroup) int {
					return cmp.Or(b.Learners-a.Learners, b.Still-a.Still, b.Last.Compare(a.Last))
				})
				for i, g := range groups {
					m := overviewMistake{Item: title, Text: mistakeText(g, quiz), Learners: g.Learners, Still: g.Still,
						Link: mistakeURL(class.ID, g.Course, g.Kind, g.Item, g.Key)}
					if i < overviewItemMistakes {
						it.Mistakes = append(it.Mistakes, m)
					}
					all = append(all, m)
				}
				o.Items = append(o.Items, it)
			}
			for _, q := range sec.Quizzes {
				add(store.KindQuiz, q.ID, q.Title, q)
			}
			for _, ex := range sec.Exercises {
				add(store.KindExercise, ex.ID, ex.Title, nil)
			}
		}
	}
	slices.SortStableFunc(all, func(a, b overviewMistake) int { return cmp.Or(b.Still-a.Still, b.Learners-a.Learners) })
	o.Mistakes = all[:min(len(all), overviewMistakes)]

	// Stuck: failing the same check for longest first, then idle with
	// their lab open, longest idle first.
	slices.SortStableFunc(failing, func(a, b stuckLearner) int { return a.Since.Compare(b.Since) })
	seen := map[string]bool{}
	var stuck []stuckLearner
	for _, f := range failing {
		if !seen[f.ID] { // one line per learner: their longest
			seen[f.ID] = true
			stuck = append(stuck, f)
		}
	}
	var quiet []stuckLearner
	for _, l := range learners {
		if stuckIDs[l.ID] {
			continue
		}
		last, open := idle(l.ID)
		if !open {
			continue
		}
		if l.LastSeen.After(last) {
			last = l.LastSeen
		}
		if now.Sub(last) >= idleAfter {
			quiet = append(quiet, stuckLearner{ID: l.ID, Name: l.Name, Since: last,
				Why: fmt.Sprintf("no activity for %s, with a client connected to their lab", roughDuration(now.Sub(last)))})
		}
	}
	slices.SortStableFunc(quiet, func(a, b stuckLearner) int { return a.Since.Compare(b.Since) })
	stuck = append(stuck, quiet...)
	o.Stuck = stuck[:min(len(stuck), overviewStuck)]
	o.MoreStuck = len(stuck) - len(o.Stuck)
	return o
}

// mistakeText says a mistake: the check's sentence, or the wrong answer
// as the quiz shows its choices.
func mistakeText(g store.FailureGroup, quiz *content.Quiz) template.HTML {
	if g.Kind == store.KindExercise {
		return template.HTML(template.HTMLEscapeString(g.Failure))
	}
	var parts []string
	for _, id := range g.Answers {
		text := template.HTMLEscapeString(id)
		if quiz != nil {
			for _, a := range quiz.Answers {
				if a.ID == id {
					text = string(a.HTML) // the course's own rendered answer
				}
			}
		}
		parts = append(parts, "«"+text+"»")
	}
	if len(parts) == 0 {
		return "answered with no choice"
	}
	return template.HTML("answered " + strings.Join(parts, " and "))
}

func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func medianDuration(v []time.Duration) time.Duration {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// trimFloat writes 2 or 1.5.
func trimFloat(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }

// roughDuration writes a duration as an instructor reads it: 40 s, 12 min,
// 2 h 5 min.
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

type teachMistakePage struct {
	page
	Class                     store.Class
	Course, Kind, Item, Title string
	Text                      template.HTML
	Learners                  []store.FailureLearner
}

// Back is the class table the page came from.
func (p teachMistakePage) Back() string { return classTableURL(p.Class.ID) }

// teachMistake lists the learners who made one mistake on one item: where
// the overview's "12 learners: …" leads.
func (s *Server) teachMistake(c echo.Context) error {
	course, kind, item, key := c.QueryParam("course"), c.QueryParam("kind"), c.QueryParam("item"), c.QueryParam("key")
	class, err := s.teachClass(c)
	if err != nil {
		return err
	}
	cat := s.courses.Catalog()
	cs := cat.Course(course)
	if cs == nil {
		return notFound("There is no course %q.", course)
	}
	p := teachMistakePage{page: s.page(), Class: class, Course: cs.Title, Kind: kind, Item: item}
	g := store.FailureGroup{Course: course, Kind: kind, Item: item, Key: key, Failure: key}
	switch kind {
	case store.KindExercise:
		ex := cs.Exercise(item)
		if ex == nil {
			return notFound("The course %q has no exercise %q.", cs.Title, item)
		}
		p.Title, p.Text = ex.Title, mistakeText(g, nil)
	case store.KindQuiz:
		q := cs.Quizzes[item]
		if q == nil {
			return notFound("The course %q has no quiz %q.", cs.Title, item)
		}
		g.Failure = ""
		if err := json.Unmarshal([]byte(key), &g.Answers); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "This link does not name a quiz answer: open it again from the overview on /teach.")
		}
		p.Title, p.Text = q.Title, mistakeText(g, q)
	default:
		return notFound("There is nothing of kind %q to list mistakes of: open the link again from the overview on /teach.", kind)
	}
	ls, err := s.store.FailureLearners(c.Request().Context(), class.ID, course, kind, item, key)
	if err != nil {
		return err
	}
	p.Learners = ls
	return s.render(c, http.StatusOK, "teach_mistake", p)
}
