package content

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
)

// Load reads a course tree from fsys. The root is either a folder of courses
// (categories of course folders) or a whole site: a folder holding courses/
// beside programs/, resources/ and solutions/ (see site.go). It never fails
// wholesale: anything wrong with one course (broken front matter, duplicate id,
// unreadable file, bad quiz) is recorded as a Problem and the other courses
// still load, because one instructor's typo must not empty the catalog.
//
// Loading runs in two passes: the first finds every page the tree publishes
// and where it will be served, so that the second, which renders, can point
// links between pages (../2.MachineLearning/_index.md,
// /resources/boards/wazidev) at the served page.
func Load(fsys fs.FS, opts Options) *Catalog {
	return loadWith(fsys, opts, nil)
}

// loadWith is Load with a cache of rendered documents from a previous load
// (nil for none), so that a reload re-renders only what changed.
func loadWith(fsys fs.FS, opts Options, cache *renderCache) *Catalog {
	tree := snapshotTree(fsys)
	l := &loader{
		fsys:  tree,
		tree:  tree,
		opts:  opts.withDefaults(),
		md:    newMarkdown(),
		cat:   &Catalog{byID: map[string]*Course{}, byCategory: map[string]*Group{}, byURL: map[string]*Page{}},
		site:  newSiteIndex(tree),
		ids:   map[string]string{},
		cache: cache,
		next:  newRenderCache(),
	}
	coursesRoot := "."
	if l.isSite() {
		coursesRoot = "courses"
	}
	l.welcome(".")
	if coursesRoot != "." {
		l.welcome(coursesRoot)
	}
	root := &Group{}
	groups := append([]*Group{root}, l.walk(coursesRoot, root)...)
	if coursesRoot != "." {
		l.discoverPrograms("programs")
		l.discoverLibrary("resources", KindResource, &l.cat.Resources)
		l.discoverLibrary("solutions", KindSolution, &l.cat.Solutions)
	}
	l.scanFiles()
	for _, job := range l.jobs {
		job()
	}
	for _, g := range groups {
		if len(g.Courses) > 0 {
			l.cat.Groups = append(l.cat.Groups, g)
			l.cat.Courses = append(l.cat.Courses, g.Courses...)
		}
	}
	l.cat.Categories = groups[1:]
	for _, c := range l.cat.Courses {
		c.Problems = problemsUnder(l.cat.Problems, c.Dir)
	}
	l.cat.rendered = l.next
	l.cat.freshRenders = l.fresh
	l.cat.urlPrefix = l.opts.URLPrefix
	l.cat.buildSearch()
	tree.freeze()
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
	tree *treeFS // fsys, listed once
	opts Options
	md   goldmark.Markdown
	cat  *Catalog
	site *siteIndex
	// jobs render what the first pass found, in display order.
	jobs []func()
	// ids are the course ids taken in the first pass, with the file that took
	// each.
	ids   map[string]string
	cache *renderCache // the previous load's renders, or nil
	next  *renderCache // this load's renders, for the next
	fresh int          // documents rendered by this load (not taken over)
	// siteHash is siteKey's value once computed.
	siteHash uint64
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
	// keyLines are the lines of the front matter's keys, scalars the
	// top-level values as written (YAML only).
	keyLines map[string]int
	scalars  map[string]string
	broken   bool // unreadable or bad front matter: skip
}

// hasBody reports whether the folder's index has text below its front matter.
func (f *folder) hasBody() bool { return f.index != "" && len(bytes.TrimSpace(f.body)) > 0 }

// text reads a front matter value as the author wrote it: the first of keys
// that is set. YAML scalars are taken as written (title: 1.10 is "1.10", id:
// 0123 is "0123"), since a YAML reader would make numbers of them.
func (f *folder) text(keys ...string) string {
	for _, k := range keys {
		if v, ok := f.scalars[k]; ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		if v := metaString(f.meta, k); v != "" {
			return v
		}
	}
	return ""
}

// title is the front matter title (or its alias name), else the folder name
// made readable.
func (f *folder) title() string {
	if t := f.text("title", "name"); t != "" {
		return t
	}
	return humanize(f.label)
}

// holdsCourses reports whether a folder directly below dir has an index file
// and is a course (its index has a body) or a category itself: dir is then a
// category, whatever its own _index.md says. Folders without an index below
// a course (img/, media/) are its files.
func (l *loader) holdsCourses(dir string) bool {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || isDraft(e.Name()) {
			continue
		}
		sub := path.Join(dir, e.Name())
		for _, name := range []string{"index.md", "_index.md"} {
			data, err := fs.ReadFile(l.fsys, path.Join(sub, name))
			if err != nil {
				continue
			}
			if fm, fe := splitFrontMatter(data); fe != nil || len(bytes.TrimSpace(fm.body)) > 0 || l.holdsCourses(sub) {
				return true
			}
		}
	}
	return false
}

// walk finds the folders inside dir as members of g and returns the
// categories found below it, in display order (depth first).
func (l *loader) walk(dir string, g *Group) []*Group {
	folders := l.readFolders(dir)
	sortFolders(folders)
	var groups []*Group
	for _, f := range folders {
		if f.broken {
			continue
		}
		switch {
		case len(f.subdirs) > 0 && (!f.hasBody() || l.holdsCourses(f.dir)):
			sub := l.category(f, g)
			groups = append(groups, sub)
			groups = append(groups, l.walk(f.dir, sub)...)
		case f.hasBody():
			l.checkNested(f)
			l.discoverCourse(f, g)
		case f.index != "":
			l.problem(Warning, f.index, 0, "has no content and no sub-folders; write the course below the front matter, or add course folders to make it a category")
		}
	}
	return groups
}

// category makes f, a folder holding courses, a category below parent.
func (l *loader) category(f *folder, parent *Group) *Group {
	sub := &Group{
		Title:       f.title(),
		ShortTitle:  f.text("short_title"),
		Description: f.text("description", "desc"),
		Icon:        f.text("material_icon"),
		Weight:      f.weight,
		Dir:         f.dir,
		File:        f.index,
		Meta:        f.meta,
	}
	sub.Path = append(append([]string(nil), parent.Path...), sub.Title)
	slug := slugify(humanize(f.label)) // EdgeComputing → edge-computing
	if id := f.text("id"); id != "" && courseIDRE.MatchString(id) {
		slug = id
	}
	if slug == "" {
		slug = "category"
	}
	sub.ID = slug
	if parent.ID != "" {
		sub.ID = parent.ID + "/" + slug
	}
	for i := 2; l.cat.byCategory[sub.ID] != nil; i++ {
		sub.ID = strings.TrimRight(sub.ID, "0123456789-") + "-" + fmt.Sprint(i)
	}
	sub.URL = "/categories/" + escapePath(sub.ID)
	l.cat.byCategory[sub.ID] = sub
	l.site.add(f.dir, f.index, sub.URL)
	if f.hasBody() {
		files, _ := fs.Sub(l.fsys, f.dir)
		sub.Files = files
		d := doc{file: f.index, lines: f.lines, body: f.body, base: sub.URL, dir: f.dir, files: files, site: l.site}
		l.jobs = append(l.jobs, func() { sub.Intro = l.renderPage(d, sub.Title) })
	}
	return sub
}

// welcome reads the index of dir (the root, or a site's courses/ folder) as
// welcome text for the top of the catalog.
func (l *loader) welcome(dir string) {
	f := &folder{dir: dir, name: path.Base(dir), label: path.Base(dir)}
	l.readIndex(f)
	if f.broken || !f.hasBody() {
		return
	}
	u := "/welcome"
	if dir != "." {
		u += "/" + escapePath(dir)
	}
	p := &Page{Kind: KindWelcome, URL: u, Title: f.text("title", "name"), Description: f.text("description", "desc"),
		File: f.index, Dir: f.dir, Meta: f.meta}
	p.Files, _ = fs.Sub(l.fsys, f.dir)
	l.cat.Welcome = append(l.cat.Welcome, p)
	l.cat.byURL[u] = p
	d := doc{file: f.index, lines: f.lines, body: f.body, base: u, dir: f.dir, files: p.Files, site: l.site}
	l.jobs = append(l.jobs, func() { p.HTML = l.renderPage(d, p.Title) })
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
		case e.Type().IsRegular() && (e.Name() == "index.md" || e.Name() == "_index.md"):
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
	fm, fe := splitFrontMatter(data)
	if fe != nil {
		l.problem(Error, f.index, fe.line, "%s; the folder is not published until this is fixed", fe.msg)
		f.broken = true
		return
	}
	f.meta, f.body, f.lines, f.keyLines, f.scalars = fm.meta, fm.body, fm.lines, fm.keyLines, fm.scalars
	f.front = data[:len(data)-len(fm.body)]
	f.weight = metaInt(fm.meta, "weight")
}

// checkNested warns about courses inside a course's files: a course's
// folders without an index are its assets, so an index file deeper below is
// never loaded.
func (l *loader) checkNested(f *folder) {
	for _, sub := range f.subdirs {
		_ = fs.WalkDir(l.fsys, sub, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (d.Name() == "index.md" || d.Name() == "_index.md") {
				l.problem(Error, p, 0, "is not loaded: %s is a course (its index has a body), so its sub-folders only hold files; move this folder out, or give its folder an _index.md to make %s a category", f.dir, f.dir)
			}
			return nil
		})
	}
}

var courseIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// keyLine is the line of the file where front matter key is set, or the first
// line when it is not, so that problems about a key point at it.
func (f *folder) keyLine(key string) int {
	if n, ok := f.keyLines[key]; ok {
		return n
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(key) + `\s*[:=]`)
	for i, line := range strings.Split(string(f.front), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 1
}

// discoverCourse takes f's course id and address, and queues its render.
func (l *loader) discoverCourse(f *folder, g *Group) {
	derived := slugify(f.label)
	if derived == "" {
		derived = "course"
	}
	id := f.text("id")
	switch {
	case id == "":
		id = derived
	case !courseIDRE.MatchString(id):
		l.problem(Error, f.index, f.keyLine("id"), "id %q cannot be used in a URL; use letters, digits, \"-\", \"_\" and \".\" only (the id %q is used meanwhile)", id, derived)
		id = derived
	}
	if other, taken := l.ids[id]; taken {
		l.problem(Error, f.index, f.keyLine("id"), "course id %q is already used by %s; this course is skipped: give one of them another id in its front matter", id, other)
		return
	}
	l.ids[id] = f.index
	base := l.opts.URLPrefix + "/" + escapePath(id)
	l.site.add(f.dir, f.index, base)
	l.jobs = append(l.jobs, func() {
		if c := l.loadCourse(f, id, base); c != nil {
			g.Courses = append(g.Courses, c)
		}
	})
}

// loadCourse builds and renders the course in f, or returns nil if it must be
// skipped.
func (l *loader) loadCourse(f *folder, id, base string) *Course {
	c := &Course{
		ID:          id,
		Title:       f.text("title", "name"),
		Description: f.text("description", "desc"),
		Difficulty:  f.text("difficulty"),
		Duration:    f.text("duration"),
		Dir:         f.dir,
		File:        f.index,
		Meta:        f.meta,
		metaLines:   f.keyLines,
	}
	files, err := fs.Sub(l.fsys, f.dir)
	if err != nil {
		l.problem(Error, f.dir, 0, "cannot open the folder: %v", err)
		return nil
	}
	c.Files = files
	if c.Title == "" {
		c.Title = humanize(f.label)
		l.problem(Warning, f.index, 1, "has no title; add title: … to its front matter (%q is shown meanwhile)", c.Title)
	}
	d := doc{file: f.index, lines: f.lines, body: f.body, courseID: id, base: base, dir: f.dir, files: files, site: l.site}
	fresh := l.fresh
	r, problems, uses := l.render(d, c.Title, func(cc *courseContext) bool { return scanPlaceholders(cc, f.body) })
	c.Sections, c.Quizzes, c.Exercises = r.sections, r.quizzes, r.exercises
	for _, s := range c.Sections {
		s.course = c
	}
	if uses {
		// A render taken over already knows which sections show lab
		// details; only a fresh one needs the probe.
		l.markPlaceholders(c, d, l.fresh > fresh)
	}
	l.cat.Problems = append(l.cat.Problems, problems...)
	l.cat.byID[id] = c
	return c
}

// render renders a document, or takes its render from the previous load when
// nothing it depends on changed. scan, when not nil, runs on the document's
// context before rendering and its result is returned.
func (l *loader) render(d doc, title string, scan func(*courseContext) bool) (rendered, []Problem, bool) {
	key := l.renderKey(d, title)
	if r, ok := l.cache.get(key); ok {
		l.next.put(key, r)
		return r.out, r.problems, r.scanned
	}
	l.fresh++
	cc := newCourseContext(d)
	scanned := false
	if scan != nil {
		scanned = scan(cc)
	}
	out := renderCourse(l.md, cc, substitute(d.body, l.opts.LabDefaults), title)
	sort.SliceStable(cc.problems, func(i, j int) bool { return cc.problems[i].Line < cc.problems[j].Line })
	l.next.put(key, &renderEntry{out: out, problems: cc.problems, scanned: scanned})
	return out, cc.problems, scanned
}

// renderPage renders a document that is not a course as one piece of HTML.
// Quizzes and exercises are graded per course, so they are refused here.
func (l *loader) renderPage(d doc, title string) template.HTML {
	r, problems, _ := l.render(d, title, nil)
	l.cat.Problems = append(l.cat.Problems, problems...)
	var b strings.Builder
	for _, s := range r.sections {
		b.WriteString(string(s.HTML))
		for _, q := range s.Quizzes {
			l.problem(Error, d.file, q.Line, "<quiz id=%q> is only graded inside a course; move it into a course folder's index.md", q.ID)
		}
		for _, e := range s.Exercises {
			l.problem(Error, d.file, e.Line, "<exercise id=%q> is only checked inside a course; move it into a course folder's index.md", e.ID)
		}
	}
	return template.HTML(b.String())
}
