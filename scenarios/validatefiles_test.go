package scenarios

import (
	"strings"
	"testing"
)

func TestValidateFiles(t *testing.T) {
	var out strings.Builder
	if !ValidateFiles(&out, []string{"catalog", "testdata/valid/minimal.yaml"}) {
		t.Fatalf("valid files rejected:\n%s", out.String())
	}
	if !strings.HasSuffix(out.String(), " scenarios valid\n") {
		t.Errorf("summary = %q", out.String())
	}

	out.Reset()
	ok := ValidateFiles(&out, []string{"testdata/valid/minimal.yaml", "testdata/invalid/durations.yaml", "testdata/missing.yaml"})
	if ok {
		t.Fatal("invalid files accepted")
	}
	got := out.String()
	for _, want := range []string{
		"testdata/invalid/durations.yaml:14:15: spec.faults[0].duration: must be > 0\n",
		"load scenario: open testdata/missing.yaml: no such file or directory\n",
		"2 of 3 scenarios invalid, 7 problems\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	out.Reset()
	if ValidateFiles(&out, nil) || out.String() != "no scenario files given\n" {
		t.Errorf("no files: %q", out.String())
	}
	out.Reset()
	if ValidateFiles(&out, []string{"testdata"}) || !strings.Contains(out.String(), "testdata: no *.yaml or *.yml files") {
		t.Errorf("empty dir: %q", out.String())
	}
}
