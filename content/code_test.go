package content

import (
	"bufio"
	"bytes"
	"strings"
	"sync"
	"testing"
)

// TestHighlighterRemembersEachBlockOnce proves that a block highlighted
// again (another render of the same course, for other lab values) comes
// from the memo with the same bytes, and that blocks with no lexer are
// remembered as such.
func TestHighlighterRemembersEachBlockOnce(t *testing.T) {
	h := newHighlighter()
	render := func(lang, code string) string {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		h.write(w, lang, []byte(code))
		_ = w.Flush()
		return b.String()
	}
	first := render("sh", "mosquitto_sub -t 'devices/#' -v\n")
	if !strings.Contains(first, `<pre class="chroma">`) || !strings.Contains(first, `<span class="`) {
		t.Fatalf("sh block not highlighted: %s", first)
	}
	if again := render("sh", "mosquitto_sub -t 'devices/#' -v\n"); again != first {
		t.Errorf("second render differs:\n%s\n%s", first, again)
	}
	render("mermaid", "graph TD; A-->B;\n")
	render("mermaid", "graph TD; A-->B;\n")
	if len(h.html) != 2 {
		t.Errorf("memo holds %d entries, want 2 (one per distinct block)", len(h.html))
	}
	if plain := render("mermaid", "a<b\n"); !strings.Contains(plain, "a&lt;b") || strings.Contains(plain, "<span") {
		t.Errorf("a block without a lexer should be escaped, unhighlighted: %s", plain)
	}
}

// TestHighlighterStaysWithinItsBudget proves the memo starts again rather
// than grow past highlightMemoBytes, with renders running concurrently.
func TestHighlighterStaysWithinItsBudget(t *testing.T) {
	h := newHighlighter()
	// Blocks without a lexer cost no tokenising but are remembered too
	// (their keys count): 60 of 100 KB go past the budget.
	code := strings.Repeat("graph TD; A-->B;\n", 6000)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				var b bytes.Buffer
				w := bufio.NewWriter(&b)
				h.write(w, "mermaid", []byte(code+strings.Repeat("#", g*100+i)))
				_ = w.Flush()
			}
		}()
	}
	wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.html) >= 60 {
		t.Errorf("memo holds all %d blocks (%d bytes): it never started again", len(h.html), h.size)
	}
	if h.size > highlightMemoBytes {
		t.Errorf("memo holds %d bytes, budget %d", h.size, highlightMemoBytes)
	}
	total := 0
	for k, v := range h.html {
		total += len(k) + len(v)
	}
	if total != h.size {
		t.Errorf("memo counts %d bytes, holds %d", h.size, total)
	}
}

// TestLanguageWithoutLexerIsShownAsWritten proves that a fenced block in a
// language chroma knows but courselab does not carry (content/lexers)
// comes out escaped, uncoloured, in the same wrapper as every code block.
func TestLanguageWithoutLexerIsShownAsWritten(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	newHighlighter().write(w, "haskell", []byte("main = putStrLn \"<hi>\"\n"))
	_ = w.Flush()
	want := `<div class="code" data-lang="haskell"><pre class="chroma"><code>main = putStrLn &quot;&lt;hi&gt;&quot;` + "\n" + `</code></pre></div>` + "\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}
