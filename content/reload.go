package content

import (
	"context"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Reloader serves a catalog loaded from a folder that instructors edit. It
// polls, because polling is cheap for a few hundred files and works on every
// file system (bind mounts, network shares) where change notifications do
// not: a walk computing each file's path, size and modification time, at most
// once per ReloadInterval. The walk is triggered lazily by Catalog (so the
// next page load after an edit shows it) and, after Start, by a background
// loop (so problems reach the log even when nobody reads a page).
//
// A broken edit never takes a course down: a course that was published
// keeps its last good version when the new load of it fails to publish (its
// file still exists but, say, its front matter is broken) or has Error
// problems the good version did not have. Catalog.Stale tells why.

// ReloadInterval is the least time between two looks at the folder.
const ReloadInterval = 300 * time.Millisecond

// Reloader keeps a Catalog up to date with a folder. It is safe for
// concurrent use.
type Reloader struct {
	fsys   fs.FS
	opts   Options
	logger *slog.Logger

	cur       atomic.Pointer[Catalog]
	checkMu   sync.Mutex // held while looking at the folder and reloading
	lastCheck atomic.Int64
	print     uint64 // fingerprint of the folder, under checkMu
	logged    map[string]bool
}

// NewReloader loads fsys now and returns a Reloader serving it. Problems of
// this first load are logged at Warn (errors) or Info (warnings) level.
func NewReloader(fsys fs.FS, opts Options, logger *slog.Logger) *Reloader {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{fsys: fsys, opts: opts, logger: logger, logged: map[string]bool{}}
	r.print = fingerprint(fsys)
	cat := Load(fsys, opts)
	r.logProblems(cat)
	r.cur.Store(cat)
	r.lastCheck.Store(time.Now().UnixNano())
	return r
}

// Catalog returns the current catalog, first reloading the folder if it
// changed and it has not been looked at for ReloadInterval. While another
// caller reloads, it returns the current catalog without waiting. The same
// *Catalog is returned until something changes.
func (r *Reloader) Catalog() *Catalog {
	if time.Since(time.Unix(0, r.lastCheck.Load())) >= ReloadInterval {
		if r.checkMu.TryLock() {
			r.check()
			r.checkMu.Unlock()
		}
	}
	return r.cur.Load()
}

// Start looks at the folder every ReloadInterval until ctx is done, in a
// goroutine of its own.
func (r *Reloader) Start(ctx context.Context) {
	go func() {
		t := time.NewTicker(ReloadInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.checkMu.Lock()
				r.check()
				r.checkMu.Unlock()
			}
		}
	}()
}

// Reload looks at the folder now and reloads it if it changed; it returns the
// current catalog. Tests and tools call it to skip the wait.
func (r *Reloader) Reload() *Catalog {
	r.checkMu.Lock()
	defer r.checkMu.Unlock()
	r.check()
	return r.cur.Load()
}

// check reloads the folder if its fingerprint changed; checkMu is held.
func (r *Reloader) check() {
	r.lastCheck.Store(time.Now().UnixNano())
	p := fingerprint(r.fsys)
	if p == r.print {
		return
	}
	r.print = p
	prev := r.cur.Load()
	// Only what changed is rendered again; the rest is taken from prev.
	next := loadWith(r.fsys, r.opts, prev.rendered)
	cat := keepGoodCourses(r.fsys, prev, next)
	r.logProblems(cat)
	r.logger.Info("courses reloaded", "courses", len(cat.Courses), "problems", len(cat.Problems), "stale", len(cat.Stale))
	r.cur.Store(cat)
}

// logProblems logs the problems not logged before (so an unchanged problem is
// not repeated at every reload) and why a course is stale.
func (r *Reloader) logProblems(cat *Catalog) {
	seen := map[string]bool{}
	for _, p := range cat.Problems {
		s := p.String()
		seen[s] = true
		if r.logged[s] {
			continue
		}
		if p.Severity == Error {
			r.logger.Warn("course problem", "problem", s)
		} else {
			r.logger.Info("course problem", "problem", s)
		}
	}
	r.logged = seen
	for id, ps := range cat.Stale {
		r.logger.Warn("course shows its last good version until its problems are fixed", "course", id, "errors", len(ps))
	}
}

// fingerprint hashes the path, size and modification time of every file
// under the root, skipping names that start with a dot (editors' swap files).
func fingerprint(fsys fs.FS) uint64 {
	h := fnv.New64a()
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			h.Write([]byte(p + "\x00err\x00"))
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		h.Write([]byte(p + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10) + "\x00"))
		return nil
	})
	return h.Sum64()
}

// keepGoodCourses returns next, with the courses of prev that a broken edit
// would take down or break put back, and Stale saying why.
func keepGoodCourses(fsys fs.FS, prev, next *Catalog) *Catalog {
	if prev == nil {
		return next
	}
	stale := map[string][]Problem{}
	replace := map[string]*Course{} // in next, by id: the old version
	var missing []*Course           // not in next at all
	for _, old := range prev.Courses {
		errs := errorsUnder(next.Problems, old.Dir)
		cur := next.Course(old.ID)
		switch {
		case cur == nil || cur.Dir != old.Dir:
			// Gone: deliberately (folder removed or renamed, id changed) unless
			// its file is still there and has errors.
			if _, err := fs.Stat(fsys, old.File); err != nil || len(errs) == 0 {
				continue
			}
			if cur != nil {
				continue // another course took the id; that one wins
			}
			stale[old.ID] = errs
			missing = append(missing, old)
		default:
			if fresh := newErrors(errs, old.Problems); len(fresh) > 0 {
				stale[old.ID] = fresh
				replace[old.ID] = old
			}
		}
	}
	if len(stale) == 0 {
		return next
	}
	// Everything but the courses is next's as it is.
	copied := *next
	cat := &copied
	cat.Groups, cat.Courses, cat.Stale, cat.byID = nil, nil, stale, map[string]*Course{}
	groups := slices.Clone(next.Groups)
	clones := map[*Group]*Group{}
	for i, g := range groups {
		ng := *g
		clones[g] = &ng
		ng.Courses = slices.Clone(g.Courses)
		for j, c := range ng.Courses {
			if old := replace[c.ID]; old != nil {
				ng.Courses[j] = old
			}
		}
		groups[i] = &ng
	}
	for _, old := range missing {
		groups = putBack(groups, prev, old)
	}
	cat.Categories = slices.Clone(next.Categories)
	cat.byCategory = map[string]*Group{}
	for i, g := range cat.Categories {
		if ng := clones[g]; ng != nil {
			cat.Categories[i] = ng
		}
		cat.byCategory[cat.Categories[i].ID] = cat.Categories[i]
	}
	for _, g := range groups {
		cat.Groups = append(cat.Groups, g)
		cat.Courses = append(cat.Courses, g.Courses...)
	}
	for _, c := range cat.Courses {
		cat.byID[c.ID] = c
	}
	cat.buildSearch()
	return cat
}

// putBack adds a course that the new load lost to the group with the same path
// (or a copy of its old group), where it was.
func putBack(groups []*Group, prev *Catalog, c *Course) []*Group {
	var old *Group
	at := 0
	for _, g := range prev.Groups {
		if i := slices.Index(g.Courses, c); i >= 0 {
			old, at = g, i
		}
	}
	if old == nil {
		return groups
	}
	for _, g := range groups {
		if slices.Equal(g.Path, old.Path) {
			g.Courses = slices.Insert(g.Courses, min(at, len(g.Courses)), c)
			return groups
		}
	}
	ng := *old
	ng.Courses = []*Course{c}
	return append(groups, &ng)
}

func errorsUnder(ps []Problem, dir string) []Problem {
	var out []Problem
	for _, p := range problemsUnder(ps, dir) {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// newErrors returns the errors whose message the old version did not have;
// lines are ignored, since editing above a known problem moves it.
func newErrors(errs, old []Problem) []Problem {
	known := map[string]int{}
	for _, p := range old {
		if p.Severity == Error {
			known[p.File+"\x00"+p.Message]++
		}
	}
	var out []Problem
	for _, p := range errs {
		k := p.File + "\x00" + p.Message
		if known[k] > 0 {
			known[k]--
			continue
		}
		out = append(out, p)
	}
	return out
}
