// Package courses embeds the bundled course folders, the catalog served when
// no --courses folder is given.
package courses

import "embed"

// FS holds every course folder beside this file. "all:" keeps _index.md
// files, which plain embed patterns would skip.
//
//go:embed all:*
var FS embed.FS
