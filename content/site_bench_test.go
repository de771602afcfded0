package content

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBigSite writes a site of about 300 pages and 400 images in the shapes
// of testdata/site: 10 categories of 4 courses with 6 sections each (240
// pages, 8 pictures and a quiz per course), a program with 10 units and 5
// events, 30 resources and 15 solutions with covers.
func writeBigSite(tb testing.TB, dir string) (pages, images int) {
	tb.Helper()
	png, err := os.ReadFile("testdata/site/img/welcome.png")
	if err != nil {
		tb.Fatal(err)
	}
	write := func(name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	image := func(name string) {
		write(name, string(png))
		images++
	}
	para := strings.Repeat("A sensor publishes its **readings** to a broker; every subscriber of the topic gets them, and a [resource](/resources/shelf-1/board-1) explains the board. ", 6)
	write("_index.md", "---\ntitle: Big site\n---\nWelcome to the big site.\n")
	write("courses/_index.md", "---\ntitle: Courses\n---\nIntroduction to the section\n")
	for c := 1; c <= 10; c++ {
		cat := fmt.Sprintf("courses/%d.Category%d", c, c)
		write(cat+"/_index.md", fmt.Sprintf("---\ntitle: Category %d\nweight: %d\n---\nWhat category %d is about.\n", c, c, c))
		pages++
		for k := 1; k <= 4; k++ {
			course := fmt.Sprintf("%s/%d.Course %d-%d", cat, k, c, k)
			var b strings.Builder
			fmt.Fprintf(&b, "---\ntitle: Course %d-%d\ndescription: Course number %d of category %d.\n---\n", c, k, k, c)
			for s := 1; s <= 6; s++ {
				fmt.Fprintf(&b, "# Part %d\n\n%s\n\n![Picture %d](img/p%d.png)\n\n", s, para, s, s)
				fmt.Fprintf(&b, "```js\nclient.subscribe('devices/%d/#', { qos: 1 });\n```\n\n", s)
				if s == 3 {
					fmt.Fprintf(&b, "<quiz id=\"q%d\" title=\"Which QoS?\">\n\t<answer right>1</answer>\n\t<answer>3</answer>\n</quiz>\n\n", s)
				}
				if s == 4 {
					b.WriteString("<alert severity=\"warning\">\nMind the wiring.\n</alert>\n\n<youtube>ozqQEhM5IPo?start=30</youtube>\n\n")
				}
				pages++
			}
			write(course+"/index.md", b.String())
			for i := 1; i <= 8; i++ {
				image(fmt.Sprintf("%s/img/p%d.png", course, i))
			}
		}
	}
	write("programs/camp/index.md", "---\nname: Camp\nfrom: 2024-05-06\n---\nTwo weeks.\n")
	pages++
	for u := 1; u <= 10; u++ {
		write(fmt.Sprintf("programs/camp/units/%d_Unit%d/index.md", u, u), fmt.Sprintf("---\nname: Unit %d\ndelay_start: %dd\nduration: 1d\n---\n%s\n", u, u-1, para))
		pages++
	}
	for e := 1; e <= 5; e++ {
		write(fmt.Sprintf("programs/camp/events/%d.event%d/index.md", e, e), fmt.Sprintf("---\nname: Event %d\ndate: 2024-05-%02d\n---\nMeet.\n", e, 6+e))
		pages++
	}
	for r := 1; r <= 30; r++ {
		d := fmt.Sprintf("resources/Shelf %d/Board %d", (r-1)/10+1, r)
		write(d+"/index.md", fmt.Sprintf("---\ntitle: Board %d\n---\n%s\n", r, para))
		image(d + "/cover.png")
		pages++
	}
	for s := 1; s <= 15; s++ {
		d := fmt.Sprintf("solutions/Solution %d", s)
		write(d+"/index.md", fmt.Sprintf("---\ntitle: Solution %d\n---\n![Field](media/field.png)\n\n%s\n", s, para))
		image(d + "/cover.png")
		image(d + "/media/field.png")
		pages++
	}
	return pages, images
}

// BenchmarkColdLoadSite is the cold load of a 300-page, 400-image site:
// reading, front matter, rendering, links between pages, the search index.
func BenchmarkColdLoadSite(b *testing.B) {
	dir := b.TempDir()
	pages, images := writeBigSite(b, dir)
	b.ReportMetric(float64(pages), "pages")
	b.ReportMetric(float64(images), "images")
	b.ResetTimer()
	for b.Loop() {
		fsys, err := OpenDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if cat := Load(fsys, Options{}); len(cat.Courses) != 40 || len(cat.Problems) != 0 {
			b.Fatalf("%d courses, problems:\n%s", len(cat.Courses), dumpProblems(cat.Problems))
		}
	}
}

// BenchmarkReadSiteFiles is the anchor: walking the same site and reading
// every file once, the least any load must do.
func BenchmarkReadSiteFiles(b *testing.B) {
	dir := b.TempDir()
	writeBigSite(b, dir)
	b.ResetTimer()
	for b.Loop() {
		fsys, err := OpenDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				_, err = fs.ReadFile(fsys, p)
			}
			return err
		})
	}
}

// BenchmarkReloadOneEdit is a reload after one course was edited.
func BenchmarkReloadOneEdit(b *testing.B) {
	dir := b.TempDir()
	writeBigSite(b, dir)
	fsys, err := OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	prev := Load(fsys, Options{})
	file := filepath.Join(dir, "courses/5.Category5/2.Course 5-2/index.md")
	orig, _ := os.ReadFile(file)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		if err := os.WriteFile(file, append(orig, fmt.Sprintf("\nEdit %d.\n", i)...), 0o644); err != nil {
			b.Fatal(err)
		}
		next := loadWith(fsys, Options{}, prev.rendered)
		if next.freshRenders != 1 {
			b.Fatalf("%d renders", next.freshRenders)
		}
		prev = next
	}
}

// BenchmarkSearchSite is one query on the 300-page site.
func BenchmarkSearchSite(b *testing.B) {
	dir := b.TempDir()
	writeBigSite(b, dir)
	fsys, err := OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	cat := Load(fsys, Options{})
	queries := []string{"sensor readings", "broker", "wiring", "board 17", "subscribe devices qos", "nothing matches zebra"}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		cat.Search(queries[i%len(queries)], 30)
		i++
	}
}
