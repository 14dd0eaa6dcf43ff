package certify

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// manifest maps bundle paths to lowercase hex SHA-256 digests.
type manifest map[string]string

// encode writes sha256sum's text format, sorted by path, so that the manifest
// is canonical and checkable with standard tools.
func (m manifest) encode() []byte {
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	for _, p := range paths {
		fmt.Fprintf(&b, "%s  %s\n", m[p], p)
	}
	return b.Bytes()
}

var manifestLine = regexp.MustCompile(`^([0-9a-f]{64})  (.+)$`)

// parseManifest reads an encoded manifest and reports each malformed line.
func parseManifest(data []byte) (manifest, []string) {
	m := manifest{}
	var problems []string
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		problems = append(problems, "MANIFEST: last line is not terminated by a newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" && text == "" {
			break
		}
		g := manifestLine.FindStringSubmatch(line)
		if g == nil {
			problems = append(problems, fmt.Sprintf("MANIFEST line %d: %q is not \"SHA256  PATH\"", i+1, clip(line)))
			continue
		}
		if err := checkName(g[2]); err != nil {
			problems = append(problems, fmt.Sprintf("MANIFEST line %d: %v", i+1, err))
			continue
		}
		if _, dup := m[g[2]]; dup {
			problems = append(problems, fmt.Sprintf("MANIFEST line %d: %q is listed twice", i+1, g[2]))
			continue
		}
		m[g[2]] = g[1]
	}
	return m, problems
}

// checkName accepts only clean relative slash paths that stay inside the
// bundle and that sha256sum's format can carry unescaped.
func checkName(name string) error {
	switch {
	case name == "" || strings.HasPrefix(name, "/") || name != path.Clean(name):
		return fmt.Errorf("path %q is not a clean relative path", name)
	case name == ".." || strings.HasPrefix(name, "../"):
		return fmt.Errorf("path %q leaves the bundle", name)
	case strings.ContainsAny(name, "\\\n\r"):
		return fmt.Errorf("path %q contains a backslash or line break", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("path %q contains a control character", name)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
