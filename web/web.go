// Package web holds the page templates and static files (CSS, small vanilla
// JavaScript, icons). They are embedded in the binary: there is no build step
// and nothing is fetched from elsewhere.
package web

import "embed"

// Files holds templates/*.html and static/*.
//
//go:embed templates static
var Files embed.FS
