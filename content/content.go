// Package content turns a tree of course folders (Markdown with front matter, plus
// images) into a Catalog of courses whose sections are rendered to safe HTML once, at
// load time. It knows nothing of HTTP or MQTT: the server serves what it returns.
//
// The course dialect (see PRODUCT.md and docs/AUTHORING.md) is CommonMark + GFM
// with a few tags of its own: <youtube>, <alert>, <quiz>/<answer>,
// <exercise>/<hint>/<solution>/<check>, and [[lab.NAME]] placeholders. Each is a
// goldmark extension in a file of its own (youtube.go, alert.go, quiz.go,
// exercise.go, placeholder.go, htmldoc.go), registered by Extend.
package content

import (
	"fmt"
	"html/template"
	"io/fs"
	"strings"
)

// Options tune loading.
type Options struct {
	// URLPrefix is where courses are served, default "/courses"; a course's files
	// live at URLPrefix+"/"+id+"/"+relpath, so relative image paths are rewritten
	// against it and quiz forms post to URLPrefix+"/"+id+"/quizzes/"+quizID.
	URLPrefix string
	// LabDefaults are the placeholder values Section.HTML is rendered with (see
	// PlaceholderNames), e.g. the personal-mode connection details. If nil,
	// placeholders stay visible as written in Section.HTML; Section.HTMLFor
	// renders them for one learner.
	LabDefaults map[string]string
}

// DefaultURLPrefix is the URLPrefix used when Options leaves it empty.
const DefaultURLPrefix = "/courses"

func (o Options) withDefaults() Options {
	if o.URLPrefix == "" {
		o.URLPrefix = DefaultURLPrefix
	}
	for len(o.URLPrefix) > 1 && o.URLPrefix[len(o.URLPrefix)-1] == '/' {
		o.URLPrefix = o.URLPrefix[:len(o.URLPrefix)-1]
	}
	return o
}

// Catalog is everything Load found: the published courses, grouped by category, and
// what was wrong with the tree. It is immutable once returned, so it can be shared by
// every request and swapped whole when the courses directory changes.
type Catalog struct {
	// Groups in display order. A Group with an empty Title holds the courses that
	// are outside any category; only groups holding at least one course are listed.
	Groups []*Group
	// Categories lists every category, in display order (depth first), those
	// holding only sub-categories included: each has a page of its own.
	Categories []*Group
	// Welcome holds the welcome texts shown at the top of the catalog: the
	// root's _index.md, then (in a site) courses/_index.md.
	Welcome []*Page
	// Programs, Resources and Solutions are the other sections of a site
	// folder (see site.go), in display order.
	Programs             []*Program
	Resources, Solutions []*Page
	// Courses lists every published course, in display order (group by group).
	Courses []*Course
	// Problems found while loading, in the order they were found.
	Problems []Problem
	// Stale maps the id of a course that still shows its last good version to
	// the problems that keep the newer version out (a broken edit, see
	// Reloader), so pages can tell the instructor why their edit does not show.
	// Load leaves it nil.
	Stale map[string][]Problem

	byID       map[string]*Course
	byCategory map[string]*Group
	byURL      map[string]*Page
	// search finds pages by their words (search.go).
	search *searchIndex
	// urlPrefix is Options.URLPrefix, where courses are served.
	urlPrefix string
	// rendered are this load's renders, which a reload takes over when
	// nothing they depend on changed.
	rendered *renderCache
	// freshRenders counts the documents this load rendered rather than took
	// over from the previous load.
	freshRenders int
}

// Course returns the course with the given id, or nil if there is none.
func (c *Catalog) Course(id string) *Course {
	if c == nil {
		return nil
	}
	return c.byID[id]
}

// Group is a category of courses as the catalog page shows it.
type Group struct {
	// ID is the path of slugs from the root, e.g. "edge-computing/ai"; URL is
	// the category's own page, "/categories/"+ID. Both are empty for the root
	// group.
	ID, URL string
	// Intro is the rendered body of the category's _index.md (its
	// introduction), empty when it has none.
	Intro template.HTML
	// Icon is the front matter material_icon, a Material icon name.
	Icon string
	// Dir and File are the category's folder and its _index.md ("" if none);
	// Files is the folder, for the images of Intro; Meta its front matter.
	Dir, File string
	Files     fs.FS
	Meta      map[string]any
	// Path holds the titles of the categories from the root, e.g.
	// ["Edge Computing", "MQTT"]; it is empty for the root group.
	Path []string
	// Title, ShortTitle and Description come from the category's _index.md
	// (title or name, short_title, description or desc); Title falls back to
	// the folder name.
	Title, ShortTitle, Description string
	// Weight orders sibling categories (front matter weight; 0 means unweighted).
	Weight int
	// Courses of this category, in display order.
	Courses []*Course
}

// Course is one published course.
type Course struct {
	// ID is the front matter id, or the folder name without order prefix.
	ID string
	// Title, Description, Difficulty and Duration come from the front matter.
	Title, Description, Difficulty, Duration string
	// Dir is the folder path inside the loaded fs.FS, e.g. "4.EdgeComputing/3.MQTT".
	Dir string
	// File is the path of the course's index.md or _index.md inside the fs.FS.
	File string
	// Meta holds every front matter key, unknown ones included (nested maps have
	// string keys), so other packages can read their own keys (lab set-up, …).
	Meta map[string]any
	// Files is the course folder, for serving images and other assets.
	Files fs.FS
	// Sections of the course, one per level-1 heading, in order.
	Sections []*Section
	// Quizzes by quiz id, across sections, for grading on the server.
	Quizzes map[string]*Quiz
	// Exercises of the course in document order, for the check engine.
	Exercises []*Exercise
	// Problems found in this course's files (a subset of Catalog.Problems).
	Problems []Problem

	// placeholders re-renders the course for one learner's lab values; nil
	// when the course has no placeholder.
	placeholders *placeholderCache
	// metaLines are the file lines of the front matter's keys.
	metaLines map[string]int
}

// MetaLine returns the line of File where a front matter key is set: a key
// path such as "lab.devices[1].sensors" (as the lab set-up's errors name
// them), or the nearest key above it that was written; 0 when unknown.
func (c *Course) MetaLine(key string) int {
	for key != "" {
		if n, ok := c.metaLines[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// Exercise returns the exercise with the given id, or nil.
func (c *Course) Exercise(id string) *Exercise {
	if c == nil {
		return nil
	}
	for _, e := range c.Exercises {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// Section returns the section with the given slug, or nil.
func (c *Course) Section(slug string) *Section {
	if c == nil {
		return nil
	}
	for _, s := range c.Sections {
		if s.Slug == slug {
			return s
		}
	}
	return nil
}

// Section is one page of a course: a level-1 heading and what follows it.
type Section struct {
	// Index is the position in Course.Sections.
	Index int
	// Slug is stable and unique within the course ("http-vs-mqtt"); it is also the
	// id of the section's <h1>.
	Slug string
	// Title is the plain text of the level-1 heading.
	Title string
	// Line in Course.File where the section starts, for lint and error messages.
	Line int
	// HTML is the rendered, sanitised section, level-1 heading included, with
	// placeholders rendered for Options.LabDefaults (or left as written).
	HTML template.HTML
	// HasPlaceholders says the section shows lab placeholders, so that its
	// HTML differs per learner: use HTMLFor.
	HasPlaceholders bool
	// Headings are the level-2 and level-3 headings inside, for an in-page TOC.
	Headings []Heading
	// Quizzes in this section, in order.
	Quizzes []*Quiz
	// Exercises in this section, in order.
	Exercises []*Exercise

	course *Course
}

// Heading is a linkable heading inside a section.
type Heading struct {
	Level int
	ID    string
	Title string
}

// Quiz types.
const (
	SingleChoice   = "single-choice"
	MultipleChoice = "multiple-choice"
)

// Quiz is a question graded on the server: the page shows its answers but never
// which is right.
type Quiz struct {
	// ID is unique within the course; Type is SingleChoice or MultipleChoice.
	ID, Type, Title string
	// Line in Course.File of the <quiz> tag.
	Line int
	// Answers in the order written.
	Answers []Answer
}

// Answer is one choice of a Quiz.
type Answer struct {
	// ID is stable: "a1", "a2", … in the order written; it is the submitted value.
	ID string
	// HTML is the rendered answer text.
	HTML template.HTML
	// Feedback is shown after grading; it is never rendered into the page.
	Feedback string
	// Right marks a correct answer; it is never rendered into the page.
	Right bool
}

// Severity says how bad a Problem is.
type Severity int

const (
	// Error: something keeps a course, or a piece of it (a quiz, an exercise, a
	// picture, a link), from working. `courselab lint` exits with status 1.
	Error Severity = iota
	// Warning: a matter of style or a likely slip that still works (a missing
	// title, an unknown tag shown as text, removed raw HTML).
	Warning
)

// String is "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is something wrong in the course tree, for the log and `courselab lint`.
type Problem struct {
	// File is the path inside the loaded fs.FS; Line is 1-based, 0 when unknown.
	File string
	Line int
	// Severity is Error or Warning.
	Severity Severity
	// Message says what is wrong and how to fix it.
	Message string
}

// String formats the problem the way compilers do, so editors can jump to it:
// "file:line: error: message".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Severity, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.File, p.Severity, p.Message)
}
