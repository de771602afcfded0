package content

import (
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

// A site folder holds, beside courses/, the other sections of a learning
// center: programs/ (learning paths made of units and events), resources/
// and solutions/ (libraries of reference pages, nested in folders, each page
// an index.md with its cover image and media beside it). Each is served under
// its own address; every page's files are served from below its address.

// PageKind says which section of a site a Page belongs to.
type PageKind string

// The kinds of pages beside courses and categories.
const (
	KindWelcome  PageKind = "welcome"  // the root's (or courses/') _index.md text
	KindResource PageKind = "resource" // a page of resources/
	KindSolution PageKind = "solution" // a page of solutions/
	KindProgram  PageKind = "program"  // a program's own index.md
	KindUnit     PageKind = "unit"     // programs/P/units/N_Name/index.md
	KindEvent    PageKind = "event"    // programs/P/events/N.name/index.md
)

// Page is a rendered page that is not a course: a resource, a solution, a
// program and its units and events, or the welcome text.
type Page struct {
	Kind PageKind
	// URL is where the page is served, e.g. /resources/boards/wazidev; the
	// files of its folder are served below it (URL/cover.png).
	URL string
	// Title and Description come from the front matter (name and desc are
	// aliases); Title falls back to the folder name.
	Title, Description string
	// Path holds the titles of the folders between the library's root and
	// the page, for grouping a library ("Boards", "Sensors").
	Path []string
	// File and Dir are the index file and its folder inside the loaded fs.FS.
	File, Dir string
	// Meta holds every front matter key.
	Meta map[string]any
	// Cover is the URL of the page's cover image (cover.* or icon.* beside
	// the index, or the front matter's cover/image/icon), "" if none.
	Cover string
	// HTML is the rendered, sanitised text.
	HTML template.HTML
	// Files is the page's folder, for serving its images.
	Files fs.FS
	// Start and End are the page's dates: an event's date (and end), a unit's
	// schedule; zero when not given.
	Start, End time.Time
}

// Program is a learning path: its own page, its units in order, and dated
// events.
type Program struct {
	*Page
	// From and To are the program's dates (front matter from, to).
	From, To time.Time
	// Units in order, each scheduled relative to From.
	Units []*Unit
	// Events sorted by date.
	Events []*Page
}

// Unit is one step of a program.
type Unit struct {
	*Page
	// Number is the order prefix of its folder (units/N_Name).
	Number int
	// DelayStart and Duration are the front matter delay_start and duration
	// ("0d", "1d", "2w"), 0 when absent.
	DelayStart, Duration time.Duration
}

// Category returns the category with the given id ("edge-computing/ai"), or
// nil.
func (c *Catalog) Category(id string) *Group {
	if c == nil {
		return nil
	}
	return c.byCategory[id]
}

// PageAt finds what is served at a URL path: a page of a site (resource,
// solution, program, unit, event), and the rest of the path below it when it
// names one of the page's files ("" for the page itself). It returns nil
// when no page is there.
func (c *Catalog) PageAt(urlPath string) (p *Page, file string) {
	if c == nil {
		return nil, ""
	}
	urlPath = strings.TrimSuffix(urlPath, "/")
	for rest := ""; urlPath != ""; {
		if p := c.byURL[urlPath]; p != nil {
			return p, rest
		}
		i := strings.LastIndexByte(urlPath, '/')
		if i < 0 {
			break
		}
		if rest == "" {
			rest = urlPath[i+1:]
		} else {
			rest = urlPath[i+1:] + "/" + rest
		}
		urlPath = urlPath[:i]
	}
	return nil, ""
}

// Program returns the program with the given URL, or nil.
func (c *Catalog) Program(u string) *Program {
	for _, p := range c.Programs {
		if p.URL == u {
			return p
		}
	}
	return nil
}

// isSite reports whether the root is a whole site: it holds a courses/
// folder, so its other folders are sections, not categories.
func (l *loader) isSite() bool {
	st, err := fs.Stat(l.fsys, "courses")
	return err == nil && st.IsDir()
}

// escapePath escapes each element of a slash-separated path for a URL.
func escapePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// addPage registers a page at its URL, for serving and for links.
func (l *loader) addPage(p *Page) {
	l.cat.byURL[p.URL] = p
	l.site.add(p.Dir, p.File, p.URL)
}

// pageOf reads a folder's index as a page of kind k served at u, and queues
// its render.
func (l *loader) pageOf(f *folder, k PageKind, u string, trail []string) *Page {
	p := &Page{Kind: k, URL: u, Title: f.title(), Description: f.text("description", "desc"),
		Path: trail, File: f.index, Dir: f.dir, Meta: f.meta}
	files, _ := fs.Sub(l.fsys, f.dir)
	p.Files = files
	p.Cover = l.cover(f, u)
	l.addPage(p)
	d := doc{file: f.index, lines: f.lines, body: f.body, base: u, dir: f.dir, files: files, site: l.site}
	l.jobs = append(l.jobs, func() { p.HTML = l.renderPage(d, p.Title) })
	return p
}

// cover finds a page's cover image: front matter cover, image or icon, else a
// cover.* or icon.* file beside the index.
func (l *loader) cover(f *folder, base string) string {
	for _, key := range []string{"cover", "image", "icon"} {
		if v := f.text(key); v != "" && IsAsset(v) {
			p := path.Clean(strings.TrimPrefix(v, "./"))
			if _, err := fs.Stat(l.fsys, path.Join(f.dir, p)); err == nil && !strings.HasPrefix(p, "../") {
				return base + "/" + escapePath(p)
			}
		}
	}
	entries, _ := fs.ReadDir(l.fsys, f.dir)
	for _, stem := range []string{"cover", "icon"} {
		for _, e := range entries {
			n := e.Name()
			if e.Type().IsRegular() && strings.EqualFold(strings.TrimSuffix(n, path.Ext(n)), stem) && isImage(n) {
				return base + "/" + escapePath(n)
			}
		}
	}
	return ""
}

// discoverLibrary finds the pages of a library folder (resources/,
// solutions/): every folder below it whose index has a body is a page; the
// folders around them group them.
func (l *loader) discoverLibrary(dir string, k PageKind, into *[]*Page) {
	if st, err := fs.Stat(l.fsys, dir); err != nil || !st.IsDir() {
		return
	}
	var walk func(dir, base string, trail []string)
	walk = func(dir, base string, trail []string) {
		folders := l.readFolders(dir)
		sortFolders(folders)
		for _, f := range folders {
			if f.broken {
				continue
			}
			slug := slugify(f.label)
			if slug == "" {
				slug = "page"
			}
			u := base + "/" + escapePath(slug)
			if l.cat.byURL[u] != nil {
				l.problem(Error, f.dir, 0, "is served at %s, like %s beside it; rename one of the two folders", u, l.cat.byURL[u].Dir)
				continue
			}
			if f.hasBody() {
				*into = append(*into, l.pageOf(f, k, u, trail))
			}
			walk(f.dir, u, append(append([]string(nil), trail...), f.title()))
		}
	}
	walk(dir, "/"+dir, nil)
}

// discoverPrograms finds the programs: each folder of programs/ with an index
// is one, with its units/ and events/.
func (l *loader) discoverPrograms(dir string) {
	if st, err := fs.Stat(l.fsys, dir); err != nil || !st.IsDir() {
		return
	}
	folders := l.readFolders(dir)
	sortFolders(folders)
	for _, f := range folders {
		if f.broken || f.index == "" {
			continue
		}
		slug := slugify(f.label)
		if slug == "" {
			slug = "program"
		}
		prog := &Program{Page: l.pageOf(f, KindProgram, "/programs/"+escapePath(slug), nil)}
		prog.From = l.metaDate(f, "from")
		prog.To = l.metaDate(f, "to")
		prog.Start, prog.End = prog.From, prog.To
		for _, uf := range l.subFolders(path.Join(f.dir, "units")) {
			u := &Unit{Number: uf.order}
			u.Page = l.pageOf(uf, KindUnit, prog.URL+"/units/"+escapePath(slugify(uf.label)), []string{prog.Title})
			u.DelayStart = l.metaSpan(uf, "delay_start")
			u.Duration = l.metaSpan(uf, "duration")
			if !prog.From.IsZero() {
				u.Start = prog.From.Add(u.DelayStart)
				u.End = u.Start.Add(u.Duration)
			}
			prog.Units = append(prog.Units, u)
		}
		for _, ef := range l.subFolders(path.Join(f.dir, "events")) {
			e := l.pageOf(ef, KindEvent, prog.URL+"/events/"+escapePath(slugify(ef.label)), []string{prog.Title})
			e.Start = l.metaDate(ef, "date")
			if e.Start.IsZero() {
				e.Start = l.metaDate(ef, "from")
			}
			e.End = l.metaDate(ef, "to")
			if e.Start.IsZero() {
				l.problem(Warning, ef.index, 1, "this event has no date; add date: 2024-05-02 (or from: and to:) to its front matter")
			}
			prog.Events = append(prog.Events, e)
		}
		sort.SliceStable(prog.Events, func(i, j int) bool { return prog.Events[i].Start.Before(prog.Events[j].Start) })
		l.cat.Programs = append(l.cat.Programs, prog)
	}
}

// subFolders reads the publishable folders of dir that have an index, in
// order; a missing dir has none.
func (l *loader) subFolders(dir string) []*folder {
	if st, err := fs.Stat(l.fsys, dir); err != nil || !st.IsDir() {
		return nil
	}
	var out []*folder
	folders := l.readFolders(dir)
	sortFolders(folders)
	for _, f := range folders {
		if !f.broken && f.index != "" {
			out = append(out, f)
		}
	}
	return out
}

// metaDate reads a date key, reporting a value that is not a date.
func (l *loader) metaDate(f *folder, key string) time.Time {
	v, ok := f.meta[key]
	if !ok || v == nil {
		return time.Time{}
	}
	t, ok := parseDate(v)
	if !ok {
		l.problem(Error, f.index, f.keyLine(key), "%s: %q is not a date; write it as 2024-05-02 (year-month-day)", key, f.text(key))
	}
	return t
}

// metaSpan reads a span of time such as "1d", reporting a value that is not.
func (l *loader) metaSpan(f *folder, key string) time.Duration {
	s := f.text(key)
	if s == "" {
		return 0
	}
	d, ok := parseSpan(s)
	if !ok {
		l.problem(Error, f.index, f.keyLine(key), "%s: %q is not a span of time; write a number of days, weeks or hours such as 0d, 2d, 1w or 3h", key, s)
	}
	return d
}

// siteIndex knows where every page of the tree is served, for links between
// pages: by index file, by folder, and by URL.
type siteIndex struct {
	fsys   fs.FS
	byPath map[string]string // index file or folder in the fs.FS → URL
	dirOf  map[string]string // URL → folder
}

func newSiteIndex(fsys fs.FS) *siteIndex {
	return &siteIndex{fsys: fsys, byPath: map[string]string{}, dirOf: map[string]string{}}
}

func (s *siteIndex) add(dir, index, u string) {
	s.byPath[dir] = u
	if index != "" {
		s.byPath[index] = u
	}
	s.dirOf[u] = dir
}

// page returns the URL of the page whose folder or index file is target (a
// clean path in the fs.FS).
func (s *siteIndex) page(target string) (string, bool) {
	if s == nil {
		return "", false
	}
	u, ok := s.byPath[strings.TrimSuffix(target, "/")]
	return u, ok
}

// file returns the URL a file of the tree is served at: below the page whose
// folder is nearest above it.
func (s *siteIndex) file(target string) (string, bool) {
	if s == nil {
		return "", false
	}
	for dir := path.Dir(target); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if u, ok := s.byPath[dir]; ok {
			return u + "/" + escapePath(strings.TrimPrefix(target, dir+"/")), true
		}
	}
	return "", false
}

// absolute resolves a site-absolute link path (/resources/waziup/oled-display)
// to the served page it names, trying it as written and then with each element
// made a slug the way folder names are, as Hugo writes its URLs. It returns
// the URL, and ok=false when no page of the site is there.
func (s *siteIndex) absolute(p string) (string, bool) {
	if s == nil {
		return "", false
	}
	p = strings.TrimSuffix(p, "/")
	if _, ok := s.dirOf[p]; ok {
		return p, true
	}
	els := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, e := range els {
		if i == 0 {
			continue
		}
		_, label, _ := splitOrder(e)
		els[i] = slugify(label)
	}
	q := "/" + strings.Join(els, "/")
	if _, ok := s.dirOf[q]; ok {
		return q, true
	}
	return "", false
}

// sections are the first elements of the URLs the site serves pages at; a
// site-absolute link starting with one of them must name a page.
var sections = map[string]bool{"courses": true, "categories": true, "programs": true, "resources": true, "solutions": true}
