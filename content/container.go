package content

import (
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// container is the state every dialect container (<alert>, <quiz>,
// <exercise>, <hint>, <solution>) keeps while goldmark feeds it lines.
type container struct {
	done  bool // closed on the line just parsed; close before the next
	fence fenceTracker
}

// continueUntil decides what the next line does to a container closed by
// </tag>: a line inside a fenced code block always belongs to it; a line
// for which endsEarly is true ends it unclosed (the author forgot the end
// tag, and the next section or part must still start); the end tag closes
// it, on a line of its own or at the end of a line of text.
func (c *container) continueUntil(reader text.Reader, tag string, endsEarly func(line []byte) bool) (state parser.State, unclosed bool) {
	if c.done {
		return parser.Close, false
	}
	line, _ := reader.PeekLine()
	if c.fence.inFence(line) {
		return parser.Continue | parser.HasChildren, false
	}
	if endsEarly(line) {
		return parser.Close, true
	}
	only, atEnd := closeTag(line, tag)
	if only {
		c.done = true
		reader.AdvanceToEOL()
		return parser.Close, false
	}
	if atEnd {
		// "text</tag>": the text still belongs inside; the closing tag is
		// removed by the container's transformer.
		c.done = true
	}
	return parser.Continue | parser.HasChildren, false
}

// open reports whether a fenced code block is open, whose lines are code.
func (f *fenceTracker) open() bool { return f.n > 0 }
