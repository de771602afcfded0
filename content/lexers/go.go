package lexers

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// The Go lexers: chroma v2.27.0's lexers/go.go (see COPYING), with its
// package-level variables made into a function that the registry calls the
// first time a lexer is asked for, and chroma's names qualified.

// registerGo adds Go, Go HTML Template and Go Text Template to reg, which
// must already hold HTML (the HTML template delegates to it).
func registerGo(reg *chroma.LexerRegistry) {
	goTextTemplate := reg.Register(chroma.MustNewXMLLexer(
		embedded,
		"embedded/go_template.xml",
	).SetConfig(
		&chroma.Config{
			Name:    "Go Text Template",
			Aliases: []string{"go-text-template"},
		},
	))
	reg.Register(chroma.DelegatingLexer(reg.Get("HTML"), chroma.MustNewXMLLexer(
		embedded,
		"embedded/go_template.xml",
	).SetConfig(
		&chroma.Config{
			Name:    "Go HTML Template",
			Aliases: []string{"go-html-template"},
		},
	)))
	reg.Register(chroma.MustNewLexer(
		&chroma.Config{
			Name:      "Go",
			Aliases:   []string{"go", "golang"},
			Filenames: []string{"*.go"},
			MimeTypes: []string{"text/x-gosrc"},
		},
		goRules(goTextTemplate),
	).SetAnalyser(func(text string) float32 {
		if strings.Contains(text, "fmt.") && strings.Contains(text, "package ") {
			return 0.5
		}
		if strings.Contains(text, "package ") {
			return 0.1
		}
		return 0.0
	}))
}

func goRules(goTextTemplate chroma.Lexer) func() chroma.Rules {
	return func() chroma.Rules {
		// r builds a rule: go vet wants chroma.Rule literals keyed.
		r := func(pattern string, typ chroma.Emitter, mutator chroma.Mutator) chroma.Rule {
			return chroma.Rule{Pattern: pattern, Type: typ, Mutator: mutator}
		}
		return chroma.Rules{
			"root": {
				r(`\n`, chroma.TextWhitespace, nil),
				r(`\s+`, chroma.TextWhitespace, nil),
				r(`//[^\s\n\r][^\n\r]*`, chroma.CommentPreproc, nil),
				r(`//[^\n\r]*`, chroma.CommentSingle, nil),
				r(`/(\\\n)?[*](.|\n)*?[*](\\\n)?/`, chroma.CommentMultiline, nil),
				r(`(import|package)\b`, chroma.KeywordNamespace, nil),
				r(`(var|func|struct|map|chan|type|interface|const)\b`, chroma.KeywordDeclaration, nil),
				r(chroma.Words(``, `\b`, `break`, `default`, `select`, `case`, `defer`, `go`, `else`, `goto`, `switch`, `fallthrough`, `if`, `range`, `continue`, `for`, `return`), chroma.Keyword, nil),
				r(`(true|false|iota|nil)\b`, chroma.KeywordConstant, nil),
				r(chroma.Words(``, `\b(\()`, `uint`, `uint8`, `uint16`, `uint32`, `uint64`, `int`, `int8`, `int16`, `int32`, `int64`, `float`, `float32`, `float64`, `complex64`, `complex128`, `byte`, `rune`, `string`, `bool`, `error`, `uintptr`, `print`, `println`, `panic`, `recover`, `close`, `complex`, `real`, `imag`, `len`, `cap`, `append`, `copy`, `delete`, `new`, `make`, `clear`, `min`, `max`), chroma.ByGroups(chroma.NameBuiltin, chroma.Punctuation), nil),
				r(chroma.Words(``, `\b`, `uint`, `uint8`, `uint16`, `uint32`, `uint64`, `int`, `int8`, `int16`, `int32`, `int64`, `float`, `float32`, `float64`, `complex64`, `complex128`, `byte`, `rune`, `string`, `bool`, `error`, `uintptr`, `any`), chroma.KeywordType, nil),
				r(`\d+i`, chroma.LiteralNumber, nil),
				r(`\d+\.\d*([Ee][-+]\d+)?i`, chroma.LiteralNumber, nil),
				r(`\.\d+([Ee][-+]\d+)?i`, chroma.LiteralNumber, nil),
				r(`\d+[Ee][-+]\d+i`, chroma.LiteralNumber, nil),
				r(`\d+(\.\d+[eE][+\-]?\d+|\.\d*|[eE][+\-]?\d+)`, chroma.LiteralNumberFloat, nil),
				r(`\.\d+([eE][+\-]?\d+)?`, chroma.LiteralNumberFloat, nil),
				r(`0[0-7]+`, chroma.LiteralNumberOct, nil),
				r(`0[xX][0-9a-fA-F_]+`, chroma.LiteralNumberHex, nil),
				r(`0b[01_]+`, chroma.LiteralNumberBin, nil),
				r(`(0|[1-9][0-9_]*)`, chroma.LiteralNumberInteger, nil),
				r(`'(\\['"\\abfnrtv]|\\x[0-9a-fA-F]{2}|\\[0-7]{1,3}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|[^\\])'`, chroma.LiteralStringChar, nil),
				r("(`)([^`]*)(`)", chroma.ByGroups(chroma.LiteralString, chroma.UsingLexer(chroma.TypeRemappingLexer(goTextTemplate, chroma.TypeMapping{{chroma.Other, chroma.LiteralString, nil}})), chroma.LiteralString), nil),
				r(`"(\\\\|\\"|[^"])*"`, chroma.LiteralString, nil),
				r(`(<<=|>>=|<<|>>|<=|>=|&\^=|&\^|\+=|-=|\*=|/=|%=|&=|\|=|&&|\|\||<-|\+\+|--|==|!=|:=|\.\.\.|[+\-*/%&])`, chroma.Operator, nil),
				r(`([a-zA-Z_]\w*)(\s*)(\()`, chroma.ByGroups(chroma.NameFunction, chroma.UsingSelf("root"), chroma.Punctuation), nil),
				r(`[|^<>=!()\[\]{}.,;:~]`, chroma.Punctuation, nil),
				r(`[^\W\d]\w*`, chroma.NameOther, nil),
			},
		}
	}
}
