// Package lexers holds the chroma lexers that code blocks are highlighted
// with, registered the first time one is asked for.
//
// chroma's own lexers package parses all of its 279 lexer definitions
// when the program starts (25 ms and 2.7 MB of every start, issue 11),
// whether or not a page ever shows code. This package holds copies of the
// definitions of the languages a course is likely to show (chroma v2.27.0,
// MIT licence, see COPYING): shells, the web's languages, data and
// configuration formats, and the languages devices and their clouds are
// programmed in. A code block in another language is shown unhighlighted,
// as one with no language is. To add a language, copy its file from
// chroma's lexers/embedded folder (of the version in go.mod) into
// embedded/; TestLexersMatchChroma checks it against chroma's.
package lexers

import (
	"embed"
	"io/fs"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

//go:embed embedded
var embedded embed.FS

// Get returns the lexer for a language by name, alias or file extension
// (as chroma's lexers.Get does), or nil if there is none.
func Get(name string) chroma.Lexer {
	return registry().Get(name)
}

// Names returns the names of every lexer, sorted.
func Names() []string {
	return registry().Names(false)
}

// registry parses the definitions once, on first use: about 50 of them,
// a few milliseconds, while the catalog renders rather than at start.
var registry = sync.OnceValue(func() *chroma.LexerRegistry {
	reg := chroma.NewLexerRegistry()
	paths, err := fs.Glob(embedded, "embedded/*.xml")
	if err != nil {
		panic(err)
	}
	for _, path := range paths {
		if path == "embedded/go_template.xml" {
			continue // registered twice, under two names, by registerGo
		}
		reg.Register(chroma.MustNewXMLLexer(embedded, path)) // embedded: the tests load them all
	}
	registerGo(reg)
	return reg
})
