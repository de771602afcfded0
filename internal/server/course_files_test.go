package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courselab/courselab/content"
)

// A --courses folder as an instructor leaves it: editor backups beside the
// course (they hold every quiz's right answer), a symbolic link to the data
// folder, another to a secret file, and a link that stays inside the tree.
// Only the course's own assets are served; nothing outside the folder ever is.
func TestCoursesFolderServesOnlyAssetsInsideIt(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("instructor-token-abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "leak.png"), []byte("instructor-token-abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	course := filepath.Join(dir, "hello")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(course, "img"), 0o755))
	index := "---\ntitle: Hello\n---\n# Hello\n\n<quiz id=\"q\">\n<answer right>Yes</answer>\n<answer>No</answer>\n</quiz>\n"
	must(os.WriteFile(filepath.Join(course, "index.md"), []byte(index), 0o644))
	must(os.WriteFile(filepath.Join(course, "index.md~"), []byte(index), 0o644))
	must(os.WriteFile(filepath.Join(course, "index.md.bak"), []byte(index), 0o644))
	must(os.WriteFile(filepath.Join(course, "notes.orig"), []byte(index), 0o644))
	must(os.WriteFile(filepath.Join(course, "img", "ok.png"), []byte("png"), 0o644))
	must(os.Symlink(outside, filepath.Join(course, "data")))
	must(os.Symlink(filepath.Join(outside, "leak.png"), filepath.Join(course, "img", "leak.png")))
	must(os.Symlink("ok.png", filepath.Join(course, "img", "same.png")))

	fsys, err := content.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, fsys, false)
	if r := get(t, ts.URL+"/courses/hello/img/ok.png"); r.status != http.StatusOK {
		t.Errorf("GET img/ok.png: status %d, want 200", r.status)
	}
	if r := get(t, ts.URL+"/courses/hello/img/same.png"); r.status != http.StatusOK {
		t.Errorf("GET img/same.png (a link inside the folder): status %d, want 200", r.status)
	}
	for _, p := range []string{"index.md~", "index.md.bak", "notes.orig", "data/secret", "data/leak.png", "img/leak.png", "data"} {
		r := get(t, ts.URL+"/courses/hello/"+p)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.status)
		}
		if strings.Contains(r.body, "instructor-token") || strings.Contains(r.body, "answer right") {
			t.Errorf("GET %s leaked:\n%s", p, r.body)
		}
	}
}
