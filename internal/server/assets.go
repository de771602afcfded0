package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/web"
)

// asset is one static file held in memory with its fingerprint.
type asset struct {
	body        []byte
	contentType string
	version     string // first hex digits of the SHA-256 of body
}

// assets are the embedded static files plus the generated code stylesheet.
// Pages link them as /static/NAME?v=VERSION; a request carrying the current
// version may be cached for a year, any other is revalidated.
type assets struct {
	files   map[string]*asset
	modTime time.Time
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}, modTime: time.Now()}
	err := fs.WalkDir(web.Files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Files, p)
		if err != nil {
			return err
		}
		a.add(p[len("static/"):], b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	a.add("code.css", content.CodeCSS())
	return a, nil
}

func (a *assets) add(name string, body []byte) {
	sum := sha256.Sum256(body)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	a.files[name] = &asset{body: body, contentType: ct, version: hex.EncodeToString(sum[:])[:12]}
}

// url is the fingerprinted address of a static file, for templates.
func (a *assets) url(name string) (string, error) {
	f, ok := a.files[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.version, nil
}

func (s *Server) staticShow(c echo.Context) error {
	name := c.Param("*")
	f, ok := s.assets.files[name]
	if !ok {
		return notFound("There is no file %q.", name)
	}
	h := c.Response().Header()
	h.Set("Content-Type", f.contentType)
	if c.QueryParam("v") == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", `"`+f.version+`"`)
	}
	http.ServeContent(c.Response(), c.Request(), name, s.assets.modTime, bytes.NewReader(f.body))
	return nil
}
