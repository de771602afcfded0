package content

import (
	"regexp"
	"strings"
	"testing"
)

// TestDarkCodeColoursEveryTokenTheLightStyleColours: a token class with a
// colour in the light rules and none in the dark ones keeps the light ink
// (rgb(31,35,40)) on the dark background, unreadable.
func TestDarkCodeColoursEveryTokenTheLightStyleColours(t *testing.T) {
	css := string(CodeCSS())
	i := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		t.Fatal("no dark rules in the code stylesheet")
	}
	rule := regexp.MustCompile(`\.chroma \.([a-z0-9]+) \{(?:[^}]*;)?\s*color:`)
	dark := map[string]bool{}
	for _, m := range rule.FindAllStringSubmatch(css[i:], -1) {
		dark[m[1]] = true
	}
	for _, m := range rule.FindAllStringSubmatch(css[:i], -1) {
		if !dark[m[1]] {
			t.Errorf("token class .%s has a light colour and no dark one", m[1])
		}
	}
}
