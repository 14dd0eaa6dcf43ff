package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// File names the writers use inside a report directory.
const (
	JSONFile    = "report.json"
	JUnitFile   = "junit.xml"
	SummaryFile = "summary.md"
	HTMLFile    = "index.html"
)

// MarshalJSON encodes r as indented report.json content. It validates r
// first and writes empty arrays rather than null where the schema wants arrays.
func MarshalJSON(r *Report) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid report: %w", err)
	}
	out := *r
	// Copy before filling nil points so the caller's report is untouched.
	out.Scenarios = append([]Scenario(nil), out.Scenarios...)
	for i := range out.Scenarios {
		sc := &out.Scenarios[i]
		sc.Series = append([]Series(nil), sc.Series...)
		for j := range sc.Series {
			if sc.Series[j].Points == nil {
				sc.Series[j].Points = []Point{}
			}
		}
	}
	if out.Scenarios == nil {
		out.Scenarios = []Scenario{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // the file is data, not markup: keep "<" readable
	if err := enc.Encode(&out); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteJSON writes r to dir/report.json.
func WriteJSON(r *Report, dir string) error {
	b, err := MarshalJSON(r)
	if err != nil {
		return err
	}
	return writeFile(dir, JSONFile, b)
}

// Decode parses report.json content: it checks the schema version, validates
// against SchemaJSON, then against Validate.
func Decode(data []byte) (*Report, error) {
	var head struct {
		SchemaVersion string `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("report.json is not a JSON object: %w", err)
	}
	// Say "version" before the schema's longer complaint about unknown fields.
	if !readable(head.SchemaVersion) {
		return nil, fmt.Errorf("report.json has schemaVersion %q; this edgeproof reads 1.0.0 to %s", head.SchemaVersion, SchemaVersion)
	}
	if err := ValidateJSON(data); err != nil {
		return nil, err
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode report.json: %w", err)
	}
	// An older minor layout is a subset of this one: read it as current.
	r.SchemaVersion = SchemaVersion
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid report.json: %w", err)
	}
	return &r, nil
}

// Load reads and decodes dir/report.json.
func Load(dir string) (*Report, error) {
	p := filepath.Join(dir, JSONFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	r, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return r, nil
}

// readable reports whether this package reads layout version v: major 1 and
// a minor no newer than SchemaVersion's, since a minor bump only adds
// optional fields (see report.schema.json).
func readable(v string) bool {
	var major, minor, patch int
	if n, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil || n != 3 || fmt.Sprintf("%d.%d.%d", major, minor, patch) != v {
		return false
	}
	var curMajor, curMinor, curPatch int
	fmt.Sscanf(SchemaVersion, "%d.%d.%d", &curMajor, &curMinor, &curPatch)
	return major == curMajor && minor <= curMinor
}
