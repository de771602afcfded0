package content

import (
	"bytes"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
	"golang.org/x/net/html"
)

// Search finds pages of the catalog by words in their titles and text:
// courses and their sections, categories, programs with their units and
// events, resources and solutions. The index is our own, built with the
// catalog (a reload rebuilds it): an inverted index of English-stemmed words
// ranked by BM25, titles counting more than text. A site has a few hundred
// pages, so building it takes a few milliseconds and a query well under one;
// docs/BENCHMARKS.md has the figures and the comparison with bleve.

// SearchHit is one page found.
type SearchHit struct {
	// Kind says what the page is: "course", "section", "category",
	// "program", "unit", "event", "resource", "solution".
	Kind string
	// Title of the page; Where is what it belongs to ("MQTT basics" for a
	// section, the library path of a resource).
	Title, Where string
	URL          string
	// Snippet is the passage that matches best, escaped, with the matching
	// words in <mark>.
	Snippet template.HTML
	Score   float64
}

// searchDoc is one page as the index holds it.
type searchDoc struct {
	kind, title, where, url string
	words                   []string // the plain text, token by token, for passages
	stems                   []string // the stems of each token, joined by spaces
	length                  int      // terms counted, title included
}

type posting struct {
	doc int
	tf  float64
}

// searchIndex is an inverted index of stemmed terms.
type searchIndex struct {
	stems    stemmer // while building
	docs     []searchDoc
	postings map[string][]posting
	avgLen   float64
}

// titleWeight is how much more a word of a title counts than one of text.
const titleWeight = 4

// stopWords are too common to help find anything.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("a an and are as at be by for from has have in is it its of on or that the this to was were will with you your") {
		m[w] = true
	}
	return m
}()

// terms splits text into lower-case words.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stem is the index term of a word, "" for a stop word.
func stem(w string) string {
	w = strings.ToLower(w)
	if stopWords[w] {
		return ""
	}
	return english.Stem(w, false)
}

// stemmer remembers the stems of one index build: a site repeats its words.
type stemmer map[string]string

func (s stemmer) stem(w string) string {
	if v, ok := s[w]; ok {
		return v
	}
	v := stem(w)
	s[w] = v
	return v
}

func newSearchIndex() *searchIndex {
	return &searchIndex{postings: map[string][]posting{}, stems: stemmer{}}
}

// add indexes one page: its title and the plain text of its HTML. The text
// is kept as written, token by token, for the passage shown with a hit.
func (ix *searchIndex) add(kind, title, where, url string, texts ...string) {
	var tokens []string
	for _, t := range texts {
		tokens = append(tokens, strings.Fields(t)...)
	}
	d := searchDoc{kind: kind, title: title, where: where, url: url, words: tokens, stems: make([]string, len(tokens))}
	tf := map[string]float64{}
	for _, w := range words(title) {
		if s := ix.stems.stem(w); s != "" {
			tf[s] += titleWeight
			d.length++
		}
	}
	for i, tok := range tokens {
		var stems []string
		for _, w := range words(tok) {
			if s := ix.stems.stem(w); s != "" {
				stems = append(stems, s)
				tf[s]++
				d.length++
			}
		}
		d.stems[i] = strings.Join(stems, " ")
	}
	n := len(ix.docs)
	ix.docs = append(ix.docs, d)
	for s, f := range tf {
		ix.postings[s] = append(ix.postings[s], posting{doc: n, tf: f})
	}
}

// finish computes what ranking needs once every page is in.
func (ix *searchIndex) finish() {
	total := 0
	for _, d := range ix.docs {
		total += d.length
	}
	if len(ix.docs) > 0 {
		ix.avgLen = float64(total) / float64(len(ix.docs))
	}
	ix.stems = nil
}

// BM25 parameters, the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Search returns the pages matching q, best first, at most limit of them.
func (c *Catalog) Search(q string, limit int) []SearchHit {
	if c == nil || c.search == nil {
		return nil
	}
	return c.search.query(q, limit)
}

func (ix *searchIndex) query(q string, limit int) []SearchHit {
	var stems []string
	seen := map[string]bool{}
	for _, w := range words(q) {
		if s := stem(w); s != "" && !seen[s] {
			seen[s] = true
			stems = append(stems, s)
		}
	}
	if len(stems) == 0 {
		return nil
	}
	scores := map[int]float64{}
	matched := map[int]int{}
	n := float64(len(ix.docs))
	for _, s := range stems {
		ps := ix.postings[s]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			dl := float64(ix.docs[p.doc].length)
			scores[p.doc] += idf * p.tf * (bm25K1 + 1) / (p.tf + bm25K1*(1-bm25B+bm25B*dl/ix.avgLen))
			matched[p.doc]++
		}
	}
	hits := make([]int, 0, len(scores))
	for d := range scores {
		hits = append(hits, d)
	}
	// Pages holding every word first, then by score; ties in catalog order.
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if matched[a] != matched[b] {
			return matched[a] > matched[b]
		}
		if scores[a] != scores[b] {
			return scores[a] > scores[b]
		}
		return a < b
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]SearchHit, len(hits))
	for i, h := range hits {
		d := ix.docs[h]
		out[i] = SearchHit{Kind: d.kind, Title: d.title, Where: d.where, URL: d.url, Score: scores[h], Snippet: snippet(d.words, d.stems, seen)}
	}
	return out
}

// snippetWords is the length of a passage shown with a hit.
const snippetWords = 28

// snippet returns the passage of words holding the most query terms, escaped,
// with those words marked.
func snippet(ws, wordStems []string, stems map[string]bool) template.HTML {
	if len(ws) == 0 {
		return ""
	}
	hit := make([]bool, len(ws))
	for i := range ws {
		for _, s := range strings.Fields(wordStems[i]) {
			hit[i] = hit[i] || stems[s]
		}
	}
	best, bestCount, count := 0, -1, 0
	for i := range ws {
		if hit[i] {
			count++
		}
		if i >= snippetWords && hit[i-snippetWords] {
			count--
		}
		if start := max(0, i-snippetWords+1); count > bestCount {
			best, bestCount = start, count
		}
	}
	// Start a little before the first hit of the window, for context.
	for i := best; i < min(len(ws), best+snippetWords); i++ {
		if hit[i] {
			best = max(0, i-4)
			break
		}
	}
	end := min(len(ws), best+snippetWords)
	var b strings.Builder
	if best > 0 {
		b.WriteString("… ")
	}
	for i := best; i < end; i++ {
		if i > best {
			b.WriteByte(' ')
		}
		w := template.HTMLEscapeString(ws[i])
		if hit[i] {
			w = "<mark>" + w + "</mark>"
		}
		b.WriteString(w)
	}
	if end < len(ws) {
		b.WriteString(" …")
	}
	return template.HTML(b.String())
}

// plainTextOf returns the text a reader sees in rendered HTML, without the
// code of <pre> blocks' markup but with their words.
func plainTextOf(h template.HTML) string {
	var b strings.Builder
	z := html.NewTokenizer(bytes.NewReader([]byte(h)))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return b.String()
			}
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
}

// buildSearch indexes every page of the catalog.
func (c *Catalog) buildSearch() {
	ix := newSearchIndex()
	for _, w := range c.Welcome {
		if w.Title != "" {
			ix.add("welcome", w.Title, "", "/", plainTextOf(w.HTML))
		}
	}
	for _, g := range c.Categories {
		ix.add("category", g.Title, strings.Join(g.Path[:len(g.Path)-1], " · "), g.URL, g.Description, plainTextOf(g.Intro))
	}
	for _, co := range c.Courses {
		ix.add("course", co.Title, "", c.urlPrefix+"/"+co.ID, co.Description)
		for _, s := range co.Sections {
			ix.add("section", s.Title, co.Title, c.urlPrefix+"/"+co.ID+"/"+s.Slug, plainTextOf(s.HTML))
		}
	}
	for _, p := range c.Programs {
		ix.add("program", p.Title, "", p.URL, p.Description, plainTextOf(p.HTML))
		for _, u := range p.Units {
			ix.add("unit", u.Title, p.Title, u.URL, u.Description, plainTextOf(u.HTML))
		}
		for _, e := range p.Events {
			ix.add("event", e.Title, p.Title, e.URL, e.Description, plainTextOf(e.HTML))
		}
	}
	for _, p := range append(append([]*Page(nil), c.Resources...), c.Solutions...) {
		ix.add(string(p.Kind), p.Title, strings.Join(p.Path, " · "), p.URL, p.Description, plainTextOf(p.HTML))
	}
	ix.finish()
	c.search = ix
}
