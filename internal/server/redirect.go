package server

import (
	"net/url"
	"strings"
)

// localRedirect returns next when it is a path on this site, "/" otherwise.
// It is the one check for every redirect target that comes from a request
// (?next= on the join page and the like), so a link can never send someone
// off-site. Browsers drop tabs and newlines from URLs and read "\" as "/",
// so "/\t/evil.example" and "/\evil.example" are "//evil.example" to them:
// any control character or backslash is refused outright.
func localRedirect(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b < 0x20 || b == 0x7f || b == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}
