package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Sentinel errors classify a FieldError; match them with errors.Is.
var (
	// ErrSyntax marks input that is not well-formed YAML.
	ErrSyntax = errors.New("syntax error")
	// ErrType marks a value of the wrong YAML type, such as a list where a
	// string belongs.
	ErrType = errors.New("wrong type")
	// ErrUnknownField marks a key the scenario format does not define.
	ErrUnknownField = errors.New("unknown field")
	// ErrDuplicate marks a key or name that appears more than once.
	ErrDuplicate = errors.New("duplicate")
	// ErrRequired marks a missing required value.
	ErrRequired = errors.New("required")
	// ErrUnsupported marks a value outside an enumeration.
	ErrUnsupported = errors.New("unsupported value")
	// ErrInvalid marks a well-typed value that is out of range or
	// inconsistent with the rest of the scenario.
	ErrInvalid = errors.New("invalid value")
)

// Position is a 1-based line and column in a scenario file.
type Position struct {
	// Line is the 1-based line number; 0 means unknown.
	Line int
	// Column is the 1-based column number; 0 means unknown.
	Column int
}

// IsValid reports whether the position points into a file.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as line:column.
func (p Position) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// FieldError is one problem in a scenario, located by file position and by
// field path (for example spec.faults[0].duration).
type FieldError struct {
	// File is the scenario file name as given to Load or LoadBytes; empty
	// when the scenario was built in memory.
	File string
	// Pos is where in File the problem is: the offending value, or for an
	// unknown or duplicate key the key itself, or for a missing field the
	// enclosing mapping. Zero when unknown.
	Pos Position
	// Path is the field path, e.g. spec.faults[0].target.pods.mode; empty
	// for problems with the document as a whole.
	Path string
	// Kind is one of the sentinel errors (ErrInvalid, ErrRequired, ...).
	Kind error
	// Detail is the human-readable message, e.g. "must be > 0".
	Detail string
}

// Error formats the error as "file:line:col: path: detail", leaving out
// the parts that are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Pos.IsValid() {
		b.WriteString(e.Pos.String())
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Detail)
	return b.String()
}

// Unwrap returns the error's Kind so that errors.Is(err, ErrRequired) works.
func (e *FieldError) Unwrap() error { return e.Kind }

// ErrorList is every problem found in one or more scenarios. Load returns it
// as its error so that callers see all problems at once.
type ErrorList []*FieldError

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns the list as an error, or nil when it is empty; it avoids
// returning a non-nil error interface that holds an empty list.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// add appends an error at path p.
func (l *ErrorList) add(p fieldPath, kind error, format string, args ...any) {
	*l = append(*l, &FieldError{Path: string(p), Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// required appends an ErrRequired error with an optional explanation.
func (l *ErrorList) required(p fieldPath, why string) {
	if why == "" {
		l.add(p, ErrRequired, "required")
		return
	}
	l.add(p, ErrRequired, "required: %s", why)
}

// unsupported appends an ErrUnsupported error listing the allowed values.
func unsupported[T ~string](l *ErrorList, p fieldPath, got T, allowed []T) {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	msg := fmt.Sprintf("unsupported value %q: must be one of %s", string(got), strings.Join(names, ", "))
	if s := suggest(string(got), names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	l.add(p, ErrUnsupported, "%s", msg)
}

// sortByPosition orders errors by file, then line and column, keeping the
// relative order of errors at the same place.
func (l ErrorList) sortByPosition() {
	slices.SortStableFunc(l, func(a, b *FieldError) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
}

// valueError is returned by scalar decoders; Kind says which sentinel the
// resulting FieldError carries.
type valueError struct {
	kind error
	msg  string
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.kind }

func typeErrorf(format string, args ...any) error {
	return &valueError{kind: ErrType, msg: fmt.Sprintf(format, args...)}
}

func invalidf(format string, args ...any) error {
	return &valueError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}
