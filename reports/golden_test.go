package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/* from the current writers")

// fixture loads testdata/report.json, the fixed input of the golden tests.
func fixture(t *testing.T) *Report {
	t.Helper()
	r, err := Load("testdata")
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return r
}

var goldenFiles = []string{JSONFile, JUnitFile, SummaryFile, HTMLFile}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAll(fixture(t), dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range goldenFiles {
		checkGolden(t, dir, name)
	}
}

// TestRenderMatchesGolden checks that `edgeproof report render` rebuilds the
// same human-facing files from report.json alone.
func TestRenderMatchesGolden(t *testing.T) {
	if *update {
		t.Skip("golden files are being rewritten")
	}
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SummaryFile, HTMLFile} {
		checkGolden(t, dir, name)
	}
	if _, err := os.Stat(filepath.Join(dir, JUnitFile)); !os.IsNotExist(err) {
		t.Errorf("Render wrote %s; it should rebuild only summary and HTML", JUnitFile)
	}
}

func TestRenderErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Render(dir); err == nil || !strings.Contains(err.Error(), JSONFile) {
		t.Errorf("Render on empty dir: err = %v, want a missing report.json error", err)
	}
	os.WriteFile(filepath.Join(dir, JSONFile), []byte(`{"schemaVersion":"9.0.0"}`), 0o644)
	if err := Render(dir); err == nil || !strings.Contains(err.Error(), `"9.0.0"`) {
		t.Errorf("Render on future schema: err = %v, want a version error", err)
	}
	os.WriteFile(filepath.Join(dir, JSONFile), []byte(`{"schemaVersion":"1.1.0","suite":{}}`), 0o644)
	if err := Render(dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Render on invalid report: err = %v, want a schema error", err)
	}
}

func checkGolden(t *testing.T, dir, name string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (rerun with -update if the change is intended):\n%s", name, path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line, which is what one needs to judge
// a golden change without a diff tool.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + clip(w) + "\n  got:  " + clip(g)
		}
	}
	return "(same lines, different bytes)"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestDecodeOlderMinor checks that a report of an older minor layout (1.0.0,
// before verdict details) still renders, and that newer or malformed
// versions are refused by name.
func TestDecodeOlderMinor(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["schemaVersion"] = "1.0.0"
	for _, s := range m["scenarios"].([]any) {
		vs, _ := s.(map[string]any)["verdicts"].([]any)
		for _, v := range vs {
			delete(v.(map[string]any), "detail")
		}
	}
	old, _ := json.Marshal(m)
	r, err := Decode(old)
	if err != nil {
		t.Fatalf("Decode(1.0.0 report) = %v, want it read", err)
	}
	if r.SchemaVersion != SchemaVersion {
		t.Errorf("decoded schemaVersion = %q, want it read as %q", r.SchemaVersion, SchemaVersion)
	}
	for _, v := range []string{"1.4.0", "2.0.0", "1.1", "1.1.0-rc1", "v1.1.0"} {
		m["schemaVersion"] = v
		b, _ := json.Marshal(m)
		if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), strconv.Quote(v)) {
			t.Errorf("Decode(schemaVersion %q) = %v, want an error naming the version", v, err)
		}
	}
}
