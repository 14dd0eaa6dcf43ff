package scenarios

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const header = "apiVersion: edgeproof.dev/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n"

const tail = "  objectives:\n  - {name: a, kind: delivery, metric: lost, budget: 0}\n"

func TestLoadBytesDocumentShape(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"null", "~\n", "x.yaml:1:1: a scenario must be a mapping with apiVersion, kind, metadata and spec, not null"},
		{"list", "- a\n", "x.yaml:1:1: a scenario must be a mapping with apiVersion, kind, metadata and spec, not a list"},
		{"comment only", "# nothing\n", "x.yaml:1:1: empty document: expected a Scenario"},
		{"tab indent", "a:\n\tb: c\n", "x.yaml:2:2: found character that cannot start any token"},
		{"merge key", header + "spec:\n  <<: {duration: 1m}\n" + tail, "x.yaml:6:3: spec: YAML merge keys (<<) are not supported; write the fields out"},
		{"case matters", header + "spec:\n  Duration: 1m\n" + tail, `x.yaml:6:3: spec.Duration: unknown field "Duration" (did you mean "duration"?)`},
		{"float into int", header + "spec:\n  devices: {count: 1.5, rate: 1}\n" + tail, "x.yaml:6:20: spec.devices.count: must be an integer, not a number"},
		{"int overflow", header + "spec:\n  devices: {count: 9999999999, rate: 1}\n" + tail, "x.yaml:6:20: spec.devices.count: 9999999999 is out of range for a 32-bit integer"},
		{"negative uint", header + "spec:\n  faults: [{name: f, kind: uplink-shape, duration: 1s, target: {zone: a}, uplink: {bandwidth: {rate: 1mbit, limit: -1}}}]\n" + tail,
			"x.yaml:6:116: spec.faults[0].uplink.bandwidth.limit: -1 is out of range for an unsigned 32-bit integer"},
		{"infinite rate", header + "spec:\n  devices: {count: 1, rate: .inf}\n" + tail, "x.yaml:6:29: spec.devices.rate: must be a finite number, got .inf"},
		{"mapping key", header + "spec:\n  ? [a]\n  : 1\n" + tail, "x.yaml:6:5: spec: mapping keys must be strings, not a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("x.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if !slices.Contains(strings.Split(err.Error(), "\n"), tc.want) {
				t.Errorf("want %s\n got %v", tc.want, err)
			}
		})
	}
}

func TestLoadBytesNumbers(t *testing.T) {
	doc := header + "spec:\n  devices: {count: 0x10, rate: 2, payloadBytes: 1_024}\n" + tail
	s, err := LoadBytes("x.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Spec.Devices; d.Count != 16 || d.Rate != 2 || d.PayloadBytes != 1024 {
		t.Errorf("devices = %+v", *d)
	}
}

// TestLoadBytesAliasBomb reuses one large anchored list many times: the
// decoder must stop at maxNodes instead of expanding it without bound.
func TestLoadBytesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "spec:\n  faults:\n  - {name: f0, kind: node-stop, duration: 1s, target: {nodes: &big [")
	for i := range 20000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("n")
	}
	b.WriteString("]}}\n")
	for i := 1; i < 10; i++ {
		b.WriteString("  - {name: f" + itoa(i) + ", kind: node-stop, duration: 1s, target: {nodes: *big}}\n")
	}
	_, err := LoadBytes("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("err = %.300v", err)
	}
	if n := len(strings.Split(err.Error(), "\n")); n > 1 {
		t.Errorf("%d errors; decoding should stop with one", n)
	}
}

func TestLoadBytesSizeLimit(t *testing.T) {
	_, err := LoadBytes("big.yaml", make([]byte, MaxFileSize+1))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}

func TestPosition(t *testing.T) {
	s, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]Position{
		"spec.objectives[1].budget":                              {Line: 151, Column: 85},
		"spec.faults[0].target.nodeSelector":                     {Line: 37, Column: 21},
		"spec.faults[2].target":                                  {Line: 50, Column: 13}, // the alias, not the anchor
		"spec.faults[0].repeat":                                  {Line: 32, Column: 5},  // absent: the enclosing fault
		"metadata.labels[tier]":                                  {Line: 7, Column: 11},
		"spec.faults[0].target.nodeSelector[edgeproof.dev/tier]": {Line: 37, Column: 42},
	} {
		if got := s.Position(path); got != want {
			t.Errorf("Position(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestFieldErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "a.yaml", Pos: Position{3, 4}, Path: "spec", Detail: "bad"}, "a.yaml:3:4: spec: bad"},
		{FieldError{Path: "spec.duration", Detail: "must be > 0"}, "spec.duration: must be > 0"},
		{FieldError{File: "a.yaml", Detail: "bad"}, "a.yaml: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if (ErrorList{}).Err() != nil {
		t.Error("empty ErrorList.Err() is not nil")
	}
}

func TestFieldPathParent(t *testing.T) {
	for p, want := range map[fieldPath]fieldPath{
		"spec.faults[0].target":               "spec.faults[0]",
		"spec.faults[0]":                      "spec.faults",
		"metadata.labels[edgeproof.dev/tier]": "metadata.labels",
		"spec":                                "",
	} {
		if got := p.parent(); got != want {
			t.Errorf("%q.parent() = %q, want %q", p, got, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
