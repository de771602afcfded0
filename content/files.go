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
