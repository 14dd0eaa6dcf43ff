package reports

import (
	"net/url"
	"strconv"
	"strings"
)

// anchorID is the HTML id of a scenario's section. The index keeps ids
// unique when names collide after slugging; summary.md links to it.
func anchorID(i int, name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return "s" + strconv.Itoa(i+1) + "-" + strings.TrimSuffix(b.String(), "-")
}

// relURL percent-encodes a validated relative path for use as a link target.
// Parentheses are encoded too, as Markdown would end the link at one.
func relURL(p string) string {
	u := (&url.URL{Path: p}).EscapedPath()
	// A first segment with a colon would read as a URL scheme.
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u
	}
	return strings.NewReplacer("(", "%28", ")", "%29").Replace(u)
}
