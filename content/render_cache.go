package content

import (
	"hash/fnv"
	"io"
	"sort"
	"strconv"
)

// A reload after an edit re-renders only the documents that changed: each
// render is kept under a key made of everything it depends on (the text, where
// it is served, the files of its folder, and where every page of the site is
// served, for its links), and the next load takes the renders whose key is
// unchanged.

// renderEntry is one document's render.
type renderEntry struct {
	out      rendered
	problems []Problem
	scanned  bool
}

// renderCache holds the renders of one load by key. A nil cache is empty.
type renderCache struct {
	entries map[uint64]*renderEntry
}

func newRenderCache() *renderCache { return &renderCache{entries: map[uint64]*renderEntry{}} }

// get returns a copy of a render: its sections are fresh structs, since a
// Section points at its Course and the previous catalog keeps its own.
func (c *renderCache) get(key uint64) (*renderEntry, bool) {
	if c == nil {
		return nil, false
	}
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	out := rendered{quizzes: e.out.quizzes, exercises: e.out.exercises}
	for _, s := range e.out.sections {
		cp := *s
		cp.course = nil
		out.sections = append(out.sections, &cp)
	}
	return &renderEntry{out: out, problems: e.problems, scanned: e.scanned}, true
}

func (c *renderCache) put(key uint64, e *renderEntry) { c.entries[key] = e }

// Len is the number of documents rendered or taken over by the load.
func (c *renderCache) Len() int { return len(c.entries) }

// renderKey hashes what a document's render depends on.
func (l *loader) renderKey(d doc, title string) uint64 {
	h := fnv.New64a()
	for _, s := range []string{d.file, strconv.Itoa(d.lines), d.courseID, d.base, d.dir, title} {
		_, _ = io.WriteString(h, s)
		h.Write([]byte{0})
	}
	h.Write(d.body)
	h.Write([]byte{0})
	_, _ = io.WriteString(h, strconv.FormatUint(l.siteKey(), 16))
	// The files of its folder: a picture added or removed changes the render.
	l.tree.listing(d.dir, func(p string) { _, _ = io.WriteString(h, p+"\x00") })
	return h.Sum64()
}

// siteKey hashes where every page is served, once per load.
func (l *loader) siteKey() uint64 {
	if l.siteHash != 0 {
		return l.siteHash
	}
	keys := make([]string, 0, len(l.site.byPath))
	for k, v := range l.site.byPath {
		keys = append(keys, k+"\x00"+v)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		_, _ = io.WriteString(h, k+"\x00")
	}
	l.siteHash = h.Sum64() | 1
	return l.siteHash
}
