package scenarios

import (
	"strconv"
	"strings"
)

// fieldPath is a field path in the style of Kubernetes field.Path:
// spec.faults[0].target.nodeSelector[edgeproof.dev/tier].
type fieldPath string

// child appends one or more field names.
func (p fieldPath) child(names ...string) fieldPath {
	for _, n := range names {
		if p == "" {
			p = fieldPath(n)
		} else {
			p += "." + fieldPath(n)
		}
	}
	return p
}

func (p fieldPath) index(i int) fieldPath { return p + "[" + fieldPath(strconv.Itoa(i)) + "]" }

func (p fieldPath) key(k string) fieldPath { return p + "[" + fieldPath(k) + "]" }

// parent drops the last segment; map keys may contain dots, so a trailing
// [key] is removed as a whole.
func (p fieldPath) parent() fieldPath {
	s := string(p)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i >= 0 {
			return fieldPath(s[:i])
		}
	}
	if i := strings.LastIndexByte(s, '.'); i >= 0 && i > strings.LastIndexByte(s, ']') {
		return fieldPath(s[:i])
	}
	return ""
}

// within reports whether p is q or lies below it.
func (p fieldPath) within(q fieldPath) bool {
	if q == "" || p == q {
		return true
	}
	s, t := string(p), string(q)
	return strings.HasPrefix(s, t) && (s[len(t)] == '.' || s[len(t)] == '[')
}
