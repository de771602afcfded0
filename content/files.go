package content

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// A courses folder is served to learners, and instructors keep other things
// in it without thinking: editor backups (index.md~ holds every quiz's right
// answer), links to elsewhere on the disk. So only files of the types a course
// shows or offers for download are ever served (IsAsset), the folder is opened
// so that no path, symbolic links included, reaches outside it (OpenDir), and
// lint names the links and backups it finds (scanFiles).

// assetTypes are the extensions of files served from a course folder:
// pictures, video and sound, documents, data and code to download.
var assetTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, ext := range strings.Fields(`png jpg jpeg gif svg webp avif ico bmp tif tiff
		mp4 webm ogv ogg mp3 wav m4a
		pdf csv tsv json geojson xml txt
		ino py js mjs ts c h cpp hpp cc java go rs sh ps1 lua yaml yml toml ini
		zip tar gz tgz bz2 xz 7z stl step stp fzz kml kmz hex bin`) {
		m["."+ext] = true
	}
	return m
}()

// imageTypes are the asset types a browser shows as a picture.
var imageTypes = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".webp": true, ".avif": true, ".ico": true, ".bmp": true}

// IsAsset reports whether a file of a course folder may be served: its type
// is one of assetTypes and no element of its path is hidden or a draft.
// Markdown is never an asset: it holds the quizzes' right answers.
func IsAsset(name string) bool {
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, ".") || isDraft(el) {
			return false
		}
	}
	return assetTypes[strings.ToLower(path.Ext(name))]
}

func isImage(name string) bool { return imageTypes[strings.ToLower(path.Ext(name))] }

// isBackup reports whether a file name is an editor's backup or swap file.
func isBackup(name string) bool {
	lower := strings.ToLower(name)
	for _, suffix := range []string{"~", ".bak", ".orig", ".old", ".swp", ".swo", ".tmp", ".rej"} {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	return strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")
}

// OpenDir opens a courses folder so that nothing outside it can be read
// through the returned fs.FS: paths and symbolic links that lead out of it
// fail (os.Root). The folder stays open for the life of the process.
func OpenDir(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open courses folder: %w", err)
	}
	return root.FS(), nil
}

// scanFiles reports the symbolic links and editor backups in the tree: a link
// out of the folder is never served (and a link inside it is better a copy),
// and a backup is never served but may hold what must stay private.
func (l *loader) scanFiles() {
	_ = fs.WalkDir(l.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if p != "." && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(l.fsys, p)
			if err == nil && !path.IsAbs(target) {
				if t := path.Join(path.Dir(p), target); t != ".." && !strings.HasPrefix(t, "../") {
					l.problem(Warning, p, 0, "is a symbolic link to %s; it is served as that file, but a copy keeps the course readable on other machines: replace the link by the file", t)
					return nil
				}
			}
			l.problem(Error, p, 0, "is a symbolic link that leads out of the courses folder, so it is never served (nothing outside the folder is); copy what it points to into the folder, or delete the link")
		case !d.IsDir() && isBackup(name):
			l.problem(Warning, p, 0, "is an editor backup: it is never served, but it may hold a copy of quiz answers or other private text; delete it")
		}
		return nil
	})
}

// treeFS is a course tree listed once: every folder's entries are read in one
// walk when a load starts, and the index files on first use, so that deciding
// what each folder is, checking that pictures exist and keying renders cost
// no more system calls (through os.Root, each one walks the path again).
// Opening a file still goes to the tree itself.
type treeFS struct {
	fs.FS
	dirs  map[string][]fs.DirEntry
	texts map[string][]byte // Markdown files read so far
}

// snapshotTree lists fsys. Hidden folders (.git) are not listed below.
func snapshotTree(fsys fs.FS) *treeFS {
	t := &treeFS{FS: fsys, dirs: map[string][]fs.DirEntry{}, texts: map[string][]byte{}}
	var list func(dir string)
	list = func(dir string) {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return // ReadDir will report it
		}
		t.dirs[dir] = entries
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				list(path.Join(dir, e.Name()))
			}
		}
	}
	list(".")
	return t
}

// ReadDir lists a folder from the snapshot.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if entries, ok := t.dirs[name]; ok {
		return entries, nil
	}
	return fs.ReadDir(t.FS, name)
}

// entry finds a name's entry in its folder's listing.
func (t *treeFS) entry(name string) (fs.DirEntry, bool) {
	entries, ok := t.dirs[path.Dir(name)]
	if !ok {
		return nil, false
	}
	base := path.Base(name)
	for _, e := range entries {
		if e.Name() == base {
			return e, true
		}
	}
	return nil, false
}

// Stat answers from the snapshot for what it listed.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return fs.Stat(t.FS, name)
	}
	if _, listed := t.dirs[path.Dir(name)]; listed {
		e, ok := t.entry(name)
		if !ok {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
		}
		if e.Type()&fs.ModeSymlink == 0 {
			return e.Info()
		}
	}
	return fs.Stat(t.FS, name)
}

// ReadFile reads a file, keeping Markdown, which a load reads more than once,
// until the load is over (freeze).
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	if b, ok := t.texts[name]; ok {
		return b, nil
	}
	b, err := fs.ReadFile(t.FS, name)
	if err == nil && t.texts != nil && strings.HasSuffix(name, ".md") {
		t.texts[name] = b
	}
	return b, err
}

// freeze ends the load: the texts kept are dropped and nothing is written any
// more, so that the catalog's courses can read their folders concurrently.
func (t *treeFS) freeze() { t.texts = nil }

// ReadLink reads a symbolic link of the tree.
func (t *treeFS) ReadLink(name string) (string, error) { return fs.ReadLink(t.FS, name) }

// Lstat describes a file without following a link.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) { return fs.Lstat(t.FS, name) }

// listing writes the paths below dir, from the snapshot, for render keys.
func (t *treeFS) listing(dir string, w func(string)) {
	for _, e := range t.dirs[dir] {
		p := path.Join(dir, e.Name())
		w(p)
		if e.IsDir() {
			t.listing(p, w)
		}
	}
}

// Sub is the folder dir of the tree, answering from the same snapshot.
func (t *treeFS) Sub(dir string) (fs.FS, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: fs.ErrInvalid}
	}
	if dir == "." {
		return t, nil
	}
	return &treeSub{t: t, dir: dir}, nil
}

// treeSub is one folder of a treeFS.
type treeSub struct {
	t   *treeFS
	dir string
}

func (s *treeSub) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(s.dir, name), nil
}

// Open opens a file of the folder.
func (s *treeSub) Open(name string) (fs.File, error) {
	full, err := s.full("open", name)
	if err != nil {
		return nil, err
	}
	return s.t.Open(full)
}

// ReadDir lists a folder below it.
func (s *treeSub) ReadDir(name string) ([]fs.DirEntry, error) {
	full, err := s.full("readdir", name)
	if err != nil {
		return nil, err
	}
	return s.t.ReadDir(full)
}

// ReadFile reads a file below it.
func (s *treeSub) ReadFile(name string) ([]byte, error) {
	full, err := s.full("readfile", name)
	if err != nil {
		return nil, err
	}
	return s.t.ReadFile(full)
}

// Stat describes a file below it.
func (s *treeSub) Stat(name string) (fs.FileInfo, error) {
	full, err := s.full("stat", name)
	if err != nil {
		return nil, err
	}
	return s.t.Stat(full)
}
