package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/store"
)

// classPageSize is how many learners one page of /teach shows: enough to
// scan, few enough that the page loads at once with thousands in the class.
const classPageSize = 50

// stuckAfter is how long a learner may fail the same check before the
// dashboard calls them stuck.
const stuckAfter = 10 * time.Minute

// classView is what the instructor chose to see of the class: a page of
// learners, sorted and filtered, and at most one section opened to its
// items. It travels in the query string, so a view is a link.
type classView struct {
	Class string // the class's id; "" for the default class
	Sort  string // name, progress, stuck, joined (default)
	Query string // part of a name or id
	Stuck bool   // only learners who are stuck
	Open  string // "course/section" shown item by item
	Page  int    // from 1
}

// classViewOf reads the view from the request, ignoring what it does not know.
func classViewOf(c echo.Context) classView {
	v := classView{Class: c.QueryParam("class"), Sort: c.QueryParam("sort"), Query: strings.TrimSpace(c.QueryParam("q")),
		Stuck: c.QueryParam("stuck") == "1", Open: c.QueryParam("open")}
	switch v.Sort {
	case "name", "progress", "stuck":
	default:
		v.Sort = "joined"
	}
	v.Page, _ = strconv.Atoi(c.QueryParam("page"))
	v.Page = max(v.Page, 1)
	return v
}

// values is the view as query parameters, defaults left out.
func (v classView) values() url.Values {
	q := url.Values{}
	if v.Class != "" && v.Class != store.DefaultClass {
		q.Set("class", v.Class)
	}
	if v.Sort != "joined" {
		q.Set("sort", v.Sort)
	}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	if v.Stuck {
		q.Set("stuck", "1")
	}
	if v.Open != "" {
		q.Set("open", v.Open)
	}
	if v.Page > 1 {
		q.Set("page", strconv.Itoa(v.Page))
	}
	return q
}

// Link is /teach showing this view.
func (v classView) Link() string {
	if q := v.values().Encode(); q != "" {
		return "/teach?" + q
	}
	return "/teach"
}

// Unfiltered is /teach showing the view's class, every learner.
func (v classView) Unfiltered() string { return classView{Class: v.Class, Sort: "joined"}.Link() }

// ExportURL is the CSV of the view's class.
func (v classView) ExportURL() string {
	if v.Class != "" && v.Class != store.DefaultClass {
		return "/teach/export.csv?class=" + url.QueryEscape(v.Class)
	}
	return "/teach/export.csv"
}

// EventsURL is the stream that keeps this view live.
func (v classView) EventsURL() string {
	if q := v.values().Encode(); q != "" {
		return "/teach/events?" + q
	}
	return "/teach/events"
}

// WithPage, WithSort and WithOpen are links to a neighbouring view.
func (v classView) WithPage(p int) string { v.Page = p; return v.Link() }

// WithSort sorts by key, back on the first page.
func (v classView) WithSort(key string) string { v.Sort, v.Page = key, 1; return v.Link() }

// WithOpen opens section key (or closes it when it is open).
func (v classView) WithOpen(key string) string {
	if v.Open == key {
		key = ""
	}
	v.Open = key
	return v.Link()
}

// viewColumn is one column as shown: a whole section (its read mark,
// quizzes and exercises summed up), or one item of the opened section.
type viewColumn struct {
	Key   string // "course/section"
	Title string
	Kind  string // group, or the item's kind
	Items []int  // indexes into classTable.Columns
	Open  bool   // a group whose items follow
}

// viewCourse heads the columns of one course.
type viewCourse struct {
	Title string
	Span  int
}

// viewCell is one cell as shown; it is also what a live update carries.
type viewCell struct {
	Class string `json:"c"`
	Text  string `json:"t"`
	Title string `json:"h,omitempty"`
}

// viewRow is one learner's row as shown.
type viewRow struct {
	ID, Name string
	Done     int
	Stuck    bool
	Lab      string
	Cells    []viewCell
}

// classPage is one page of the class as the instructor sees it.
type classPage struct {
	View    classView
	Courses []viewCourse
	Columns []viewColumn
	Rows    []viewRow
	Total   int // learners in the class
	Matches int // learners the filter kept
	Stuck   int // learners stuck, in the whole class
	Pages   int
}

// viewColumns groups the table's columns by section and opens v.Open.
func viewColumns(t *classTable, open string) ([]viewCourse, []viewColumn) {
	var courses []viewCourse
	var cols []viewColumn
	courseTitle := map[string]string{}
	for _, c := range t.Courses {
		courseTitle[c.ID] = c.Title
	}
	lastCourse, group := "", -1 // group: the section column the items go under
	for i, col := range t.Columns {
		key := col.Course + "/" + col.Section
		if col.Kind == "section" {
			group = len(cols)
			cols = append(cols, viewColumn{Key: key, Title: col.Title, Kind: "group", Open: key == open})
			if col.Course != lastCourse {
				lastCourse = col.Course
				courses = append(courses, viewCourse{Title: courseTitle[col.Course]})
			}
			courses[len(courses)-1].Span++
		}
		cols[group].Items = append(cols[group].Items, i)
		if cols[group].Open {
			cols = append(cols, viewColumn{Key: key, Title: col.Title, Kind: col.Kind, Items: []int{i}})
			courses[len(courses)-1].Span++
		}
	}
	return courses, cols
}

// viewRowOf shapes a learner's row for the shown columns.
func viewRowOf(row classRow, cols []viewColumn, now time.Time) viewRow {
	r := viewRow{ID: row.Learner.ID, Name: row.Learner.Name, Done: row.Done, Lab: row.Lab, Stuck: isStuck(row, now)}
	r.Cells = make([]viewCell, len(cols))
	for i, col := range cols {
		if col.Kind != "group" {
			c := row.Cells[col.Items[0]]
			switch {
			case c.Done:
				r.Cells[i] = viewCell{Class: "done", Text: "✓", Title: c.Summary}
			case c.Tried:
				r.Cells[i] = viewCell{Class: "tried", Text: "✗", Title: c.Summary}
			}
			continue
		}
		done, tried := 0, 0
		for _, j := range col.Items {
			if row.Cells[j].Done {
				done++
			} else if row.Cells[j].Tried {
				tried++
			}
		}
		switch {
		case done == len(col.Items):
			r.Cells[i] = viewCell{Class: "done", Text: "✓", Title: "all done"}
		case tried > 0:
			r.Cells[i] = viewCell{Class: "tried", Text: fmt.Sprintf("%d/%d", done, len(col.Items)), Title: fmt.Sprintf("%d not right yet", tried)}
		case done > 0:
			r.Cells[i] = viewCell{Class: "part", Text: fmt.Sprintf("%d/%d", done, len(col.Items))}
		}
	}
	return r
}

// isStuck: the learner has failed the same exercise's check for stuckAfter.
func isStuck(row classRow, now time.Time) bool {
	for _, c := range row.Cells {
		if c.Tried && !c.FailingSince.IsZero() && now.Sub(c.FailingSince) >= stuckAfter {
			return true
		}
	}
	return false
}

// buildClassPage sorts and filters the class, and shapes one page of it.
func buildClassPage(t classTable, v classView, now time.Time) classPage {
	p := classPage{View: v, Total: len(t.Rows)}
	p.Courses, p.Columns = viewColumns(&t, v.Open)
	rows := make([]viewRow, 0, len(t.Rows))
	q := strings.ToLower(v.Query)
	for _, row := range t.Rows {
		r := viewRow{ID: row.Learner.ID, Name: row.Learner.Name, Done: row.Done, Stuck: isStuck(row, now)}
		if r.Stuck {
			p.Stuck++
		}
		if v.Stuck && !r.Stuck {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(r.Name), q) && !strings.Contains(r.ID, q) {
			continue
		}
		rows = append(rows, r)
	}
	byRow := map[string]classRow{}
	for _, row := range t.Rows {
		byRow[row.Learner.ID] = row
	}
	switch v.Sort {
	case "name":
		slices.SortStableFunc(rows, func(a, b viewRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	case "progress":
		slices.SortStableFunc(rows, func(a, b viewRow) int { return b.Done - a.Done })
	case "stuck":
		slices.SortStableFunc(rows, func(a, b viewRow) int {
			if a.Stuck == b.Stuck {
				return a.Done - b.Done
			}
			if a.Stuck {
				return -1
			}
			return 1
		})
	}
	p.Matches = len(rows)
	p.Pages = max(1, (len(rows)+classPageSize-1)/classPageSize)
	p.View.Page = min(v.Page, p.Pages)
	from := (p.View.Page - 1) * classPageSize
	rows = rows[from:min(from+classPageSize, len(rows))]
	for _, r := range rows {
		p.Rows = append(p.Rows, viewRowOf(byRow[r.ID], p.Columns, now))
	}
	return p
}

// cellChange is a live update of one row: only the cells that changed.
type cellChange struct {
	Learner string     `json:"l"`
	Done    int        `json:"d"`
	Stuck   bool       `json:"s"`
	Cells   []cellDiff `json:"c"`
}

// cellDiff is one changed cell: its column and what it shows now.
type cellDiff struct {
	Col int `json:"i"`
	viewCell
}

// diffRow lists what changed between the row as sent and the row now.
func diffRow(was, now viewRow) (cellChange, bool) {
	ch := cellChange{Learner: now.ID, Done: now.Done, Stuck: now.Stuck}
	for i, c := range now.Cells {
		if i >= len(was.Cells) || was.Cells[i] != c {
			ch.Cells = append(ch.Cells, cellDiff{Col: i, viewCell: c})
		}
	}
	return ch, len(ch.Cells) > 0 || was.Done != now.Done || was.Stuck != now.Stuck
}
