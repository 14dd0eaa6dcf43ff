package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest scenario file Load accepts; scenarios are
// hand-written and a few kilobytes long.
const MaxFileSize = 1 << 20

// Load reads the scenario file at path, decodes it strictly, applies
// defaults and validates it. On failure the error is an ErrorList naming
// path:line:column and the field path of every problem, except when the
// file cannot be read at all.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return LoadBytes(path, data)
}

// LoadFS is Load for a file in fsys, such as the embedded catalog.
func LoadFS(fsys fs.FS, name string) (*Scenario, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return LoadBytes(name, data)
}

// LoadBytes decodes, defaults and validates a scenario held in memory; name
// is used in error messages as the file name. On failure the error is an
// ErrorList.
func LoadBytes(name string, data []byte) (*Scenario, error) {
	s, errs := decodeScenario(data)
	if s != nil {
		s.source = name
		s.Default()
		errs = append(errs, s.locate(s.Validate(), errs)...)
		errs = append(errs, s.locate(s.checkFiles(), errs)...)
	}
	for _, e := range errs {
		e.File = name
	}
	if len(errs) > 0 {
		errs.sortByPosition()
		return nil, errs
	}
	return s, nil
}

// locate gives validation errors the position of their path, dropping those
// on paths that already failed to decode: a value that did not parse would
// otherwise also be reported as missing.
func (s *Scenario) locate(verrs, decodeErrs ErrorList) ErrorList {
	out := verrs[:0]
	for _, e := range verrs {
		if shadowed(fieldPath(e.Path), decodeErrs) {
			continue
		}
		e.Pos = s.Position(e.Path)
		out = append(out, e)
	}
	return out
}

func shadowed(p fieldPath, decodeErrs ErrorList) bool {
	for _, d := range decodeErrs {
		if d.Path != "" && p.within(fieldPath(d.Path)) {
			return true
		}
	}
	return false
}

// decodeScenario parses data as a single YAML document and decodes it. It
// returns a nil scenario when the YAML itself is unusable.
func decodeScenario(data []byte) (*Scenario, ErrorList) {
	s := &Scenario{}
	d, errs := decodeDocument(data, s, "Scenario", "a scenario")
	if d == nil {
		return nil, errs
	}
	s.positions = d.positions
	return s, errs
}

// decodeDocument parses data as a single YAML mapping document and decodes
// it strictly into v, a pointer to a struct; kind and noun name the format
// in messages ("Scenario", "a scenario"). It returns a nil decoder when the
// YAML is unusable, and otherwise the decoder, which holds the positions.
func decodeDocument(data []byte, v any, kind, noun string) (*decoder, ErrorList) {
	if len(data) > MaxFileSize {
		return nil, ErrorList{{Pos: Position{1, 1}, Kind: ErrInvalid, Detail: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	root, err := parseYAML(data, noun)
	if err != nil {
		return nil, ErrorList{syntaxError(data, err)}
	}
	if root == nil || len(root.Content) == 0 {
		return nil, ErrorList{{Pos: Position{1, 1}, Kind: ErrRequired, Detail: "empty document: expected a " + kind}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, ErrorList{{Pos: nodePos(doc), Kind: ErrType,
			Detail: noun + " must be a mapping with apiVersion, kind, metadata and spec, not " + describeNode(doc)}}
	}
	if e, ok := otherKind(doc, kind); ok {
		return nil, ErrorList{e} // its fields would only add noise
	}
	d := newDecoder()
	d.decode(doc, reflect.ValueOf(v).Elem(), "")
	if d.budget < 0 {
		return nil, d.errs // validating a truncated giant would only add noise
	}
	return d, d.errs
}

// fileKinds are the kinds of edgeproof's files, with how each is given.
var fileKinds = map[string]string{
	KindScenario:      "edgeproof run FILE or edgeproof scenario validate FILE",
	KindFleet:         "--fleet FILE with --kubeconfig, or edgeproof fleet validate FILE",
	KindBudgetProfile: "E2E_PROFILE=FILE for the e2e suites",
}

// otherKind reports a document that is another of edgeproof's file kinds
// than want, with where that kind of file goes.
func otherKind(doc *yaml.Node, want string) (*FieldError, bool) {
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "kind" || v.Kind != yaml.ScalarNode || v.Value == want {
			continue
		}
		if how, known := fileKinds[v.Value]; known {
			return &FieldError{Pos: nodePos(v), Path: "kind", Kind: ErrUnsupported,
				Detail: fmt.Sprintf("this is a %s file, not a %s: give it as %s", v.Value, want, how)}, true
		}
	}
	return nil, false
}

// parseYAML parses the only document in data; noun names the format in
// the error for a second document. yaml.v3 has panicked on
// malformed input in the past; a panic here becomes a syntax error so that
// a bad file can never crash the CLI.
func parseYAML(data []byte, noun string) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return &doc, nil
	case err != nil:
		return nil, err
	}
	return nil, &extraDocError{line: extra.Line, noun: noun}
}

type extraDocError struct {
	line int
	noun string
}

func (e *extraDocError) Error() string { return e.noun + " file holds exactly one YAML document" }

var yamlLine = regexp.MustCompile(`line (\d+):`)

// syntaxError turns a yaml.v3 error into a FieldError. yaml.v3 reports
// only a line, so the column is that of the line's first non-blank
// character.
func syntaxError(data []byte, err error) *FieldError {
	line := 1
	var extra *extraDocError
	if errors.As(err, &extra) {
		line = max(extra.line, 1)
	} else if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLine.ReplaceAllString(msg, "")
	return &FieldError{
		Pos:    Position{Line: line, Column: firstColumn(data, line)},
		Kind:   ErrSyntax,
		Detail: strings.TrimSpace(msg),
	}
}

// firstColumn is the 1-based column of the first non-blank character of
// the 1-based line, or 1.
func firstColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	trimmed := bytes.TrimLeft(l, " \t")
	if len(trimmed) == 0 {
		return 1
	}
	return len(l) - len(trimmed) + 1
}
