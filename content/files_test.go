package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintReportsSymlinksAndBackupsAndOpenDirKeepsInside(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("token"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	course := filepath.Join(dir, "c")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(course, "img"), 0o755),
		os.WriteFile(filepath.Join(course, "index.md"), []byte("---\ntitle: C\n---\n# C\n"), 0o644),
		os.WriteFile(filepath.Join(course, "index.md.bak"), []byte("x"), 0o644),
		os.WriteFile(filepath.Join(course, "#index.md#"), []byte("x"), 0o644),
		os.WriteFile(filepath.Join(course, "img", "a.png"), []byte("png"), 0o644),
		os.Symlink(outside, filepath.Join(course, "data")),
		os.Symlink("a.png", filepath.Join(course, "img", "b.png")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := Load(fsys, Options{})
	SortProblems(cat.Problems)
	got := dumpProblems(cat.Problems)
	for _, want := range []string{
		"c/#index.md#: warning: is an editor backup",
		"c/data: error: is a symbolic link that leads out of the courses folder, so it is never served",
		"c/img/b.png: warning: is a symbolic link to c/img/a.png",
		"c/index.md.bak: warning: is an editor backup",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := cat.Course("c").Files.Open("data/secret"); err == nil {
		t.Error("a file outside the folder was opened through a link")
	}
	if f, err := cat.Course("c").Files.Open("img/b.png"); err != nil {
		t.Errorf("a link inside the folder: %v", err)
	} else {
		f.Close()
	}
	for name, want := range map[string]bool{"img/a.png": true, "index.md": false, "index.md~": false, "index.md.bak": false,
		".git/x.png": false, "draft.x/a.png": false, "code/sketch.ino": true, "notes.txt": true, "a.PNG": true} {
		if IsAsset(name) != want {
			t.Errorf("IsAsset(%q) = %v, want %v", name, !want, want)
		}
	}
}
