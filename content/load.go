package content

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
)

// Load reads a course tree from fsys, whose root is the courses directory. It
// never fails wholesale: anything wrong with one course (broken front matter,
// duplicate id, unreadable file, bad quiz) is recorded as a Problem and the other
// courses still load, because one instructor's typo must not empty the catalog.
func Load(fsys fs.FS, opts Options) *Catalog {
	l := &loader{
		fsys: fsys,
		opts: opts.withDefaults(),
		md:   newMarkdown(),
		cat:  &Catalog{byID: map[string]*Course{}},
	}
	root := &Group{}
	groups := append([]*Group{root}, l.walk(".", root)...)
	for _, g := range groups {
		if len(g.Courses) > 0 {
			l.cat.Groups = append(l.cat.Groups, g)
			l.cat.Courses = append(l.cat.Courses, g.Courses...)
		}
	}
	for _, c := range l.cat.Courses {
		c.Problems = problemsUnder(l.cat.Problems, c.Dir)
	}
	return l.cat
}

// problemsUnder returns the problems in files of the folder dir.
func problemsUnder(ps []Problem, dir string) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.File == dir || strings.HasPrefix(p.File, dir+"/") {
			out = append(out, p)
		}
	}
	return out
}

type loader struct {
	fsys fs.FS
	opts Options
	md   goldmark.Markdown
	cat  *Catalog
}

func (l *loader) problem(sev Severity, file string, line int, format string, args ...any) {
	l.cat.Problems = append(l.cat.Problems, Problem{File: file, Line: line, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

// folder is one sub-folder of a group, read enough to sort it and decide what
// it is.
type folder struct {
	dir     string // path in fsys
	name    string // base name, with order prefix
	label   string // base name without order prefix
	order   int    // the order prefix, when hasOrder
	has     bool   // hasOrder
	index   string // path of index.md or _index.md, "" if none
	meta    map[string]any
	front   []byte // the file up to the body: front matter and its delimiters
	body    []byte
	lines   int // lines of front matter before body
	subdirs []string
	weight  int
	broken  bool // unreadable or bad front matter: skip
}

// walk loads the folders inside dir as members of g and returns the categories
// found below it, in display order (depth first).
func (l *loader) walk(dir string, g *Group) []*Group {
	folders := l.readFolders(dir)
	sortFolders(folders)
	var groups []*Group
	for _, f := range folders {
		if f.broken {
			continue
		}
		hasBody := len(bytes.TrimSpace(f.body)) > 0
		switch {
		case f.index != "" && hasBody:
			l.checkNested(f)
			if c := l.loadCourse(f); c != nil {
				g.Courses = append(g.Courses, c)
			}
		case len(f.subdirs) > 0:
			// A category (_index.md without body) or a plain folder of courses.
			sub := &Group{
				Title:       metaString(f.meta, "title"),
				ShortTitle:  metaString(f.meta, "short_title"),
				Description: metaString(f.meta, "description"),
				Weight:      f.weight,
			}
			if sub.Title == "" {
				sub.Title = humanize(f.label)
			}
			sub.Path = append(append([]string(nil), g.Path...), sub.Title)
			groups = append(groups, sub)
			groups = append(groups, l.walk(f.dir, sub)...)
		case f.index != "":
			l.problem(Warning, f.index, 0, "has no content and no sub-folders; write the course below the front matter, or add course folders to make it a category")
		}
	}
	return groups
}

// readFolders lists and pre-reads the publishable sub-folders of dir.
func (l *loader) readFolders(dir string) []*folder {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.problem(Error, dir, 0, "cannot read the folder: %v; check that it exists and is readable", err)
		return nil
	}
	var folders []*folder
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || isDraft(name) {
			continue
		}
		f := &folder{dir: path.Join(dir, name), name: name}
		f.order, f.label, f.has = splitOrder(name)
		l.readIndex(f)
		folders = append(folders, f)
	}
	return folders
}

// readIndex finds and reads f's index file and lists its sub-folders.
func (l *loader) readIndex(f *folder) {
	entries, err := fs.ReadDir(l.fsys, f.dir)
	if err != nil {
		l.problem(Error, f.dir, 0, "cannot read the folder: %v; check its permissions", err)
		f.broken = true
		return
	}
	var indexes []string
	for _, e := range entries {
		switch {
		case e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !isDraft(e.Name()):
			f.subdirs = append(f.subdirs, path.Join(f.dir, e.Name()))
		case !e.IsDir() && (e.Name() == "index.md" || e.Name() == "_index.md"):
			indexes = append(indexes, path.Join(f.dir, e.Name()))
		}
	}
	if len(indexes) == 0 {
		f.meta = map[string]any{}
		return
	}
	f.index = indexes[0] // ReadDir sorts: "_index.md" < "index.md"
	if len(indexes) > 1 {
		f.index = indexes[1]
		l.problem(Warning, indexes[0], 0, "is ignored because %s is beside it; keep only one of the two", indexes[1])
	}
	data, err := fs.ReadFile(l.fsys, f.index)
	if err != nil {
		l.problem(Error, f.index, 0, "cannot read the file: %v; check its permissions", err)
		f.broken = true
		return
	}
	meta, body, lines, fe := splitFrontMatter(data)
	if fe != nil {
		l.problem(Error, f.index, fe.line, "%s; the folder is not published until this is fixed", fe.msg)
		f.broken = true
		return
	}
	f.meta, f.body, f.lines = meta, body, lines
	f.front = data[:len(data)-len(body)]
	f.weight = metaInt(meta, "weight")
}

// checkNested warns about courses inside a course: a course's sub-folders are
// its assets, so an index file anywhere below it is never loaded.
func (l *loader) checkNested(f *folder) {
	for _, sub := range f.subdirs {
		_ = fs.WalkDir(l.fsys, sub, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (d.Name() == "index.md" || d.Name() == "_index.md") {
				l.problem(Error, p, 0, "is not loaded: %s is a course (its index has a body), so its sub-folders only hold files; move this folder out, or empty the body of %s to make it a category", f.dir, f.index)
			}
			return nil
		})
	}
}

var courseIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// keyLine is the line of the file where front matter key is set, or the first
// line when it is not, so that problems about a key point at it.
func (f *folder) keyLine(key string) int {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(key) + `\s*[:=]`)
	for i, line := range strings.Split(string(f.front), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 1
}

// loadCourse builds and renders the course in f, or returns nil if it must be
// skipped.
func (l *loader) loadCourse(f *folder) *Course {
	derived := slugify(f.label)
	if derived == "" {
		derived = "course"
	}
	id := metaString(f.meta, "id")
	switch {
	case id == "":
		id = derived
	case !courseIDRE.MatchString(id):
		l.problem(Error, f.index, f.keyLine("id"), "id %q cannot be used in a URL; use letters, digits, \"-\", \"_\" and \".\" only (the id %q is used meanwhile)", id, derived)
		id = derived
	}
	if other := l.cat.byID[id]; other != nil {
		l.problem(Error, f.index, f.keyLine("id"), "course id %q is already used by %s; this course is skipped: give one of them another id in its front matter", id, other.File)
		return nil
	}
	c := &Course{
		ID:          id,
		Title:       metaString(f.meta, "title"),
		Description: metaString(f.meta, "description"),
		Difficulty:  metaString(f.meta, "difficulty"),
		Duration:    metaString(f.meta, "duration"),
		Dir:         f.dir,
		File:        f.index,
		Meta:        f.meta,
	}
	if c.Title == "" {
		c.Title = humanize(f.label)
		l.problem(Warning, f.index, 1, "has no title; add title: … to its front matter (%q is shown meanwhile)", c.Title)
	}
	files, err := fs.Sub(l.fsys, f.dir)
	if err != nil {
		l.problem(Error, f.dir, 0, "cannot open the folder: %v", err)
		return nil
	}
	c.Files = files
	cc := newCourseContext(f.index, f.lines, f.body, c.ID, l.opts.URLPrefix, files)
	uses := scanPlaceholders(cc, f.body)
	r := renderCourse(l.md, cc, substitute(f.body, l.opts.LabDefaults), c.Title)
	c.Sections, c.Quizzes, c.Exercises = r.sections, r.quizzes, r.exercises
	for _, s := range c.Sections {
		s.course = c
	}
	if uses {
		l.markPlaceholders(c, f)
	}
	sort.SliceStable(cc.problems, func(i, j int) bool { return cc.problems[i].Line < cc.problems[j].Line })
	l.cat.Problems = append(l.cat.Problems, cc.problems...)
	l.cat.byID[id] = c
	return c
}
