// Package workflows holds a test that keeps the GitHub workflows valid: they
// cannot run on the project's own machines, so they are parsed here and
// every `make` target they call must exist in the Makefile.
package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type workflow struct {
	Name string `json:"name"`
	// YAML 1.1 reads the key "on" as the boolean true.
	On   map[string]any `json:"true"`
	Jobs map[string]struct {
		RunsOn string `json:"runs-on"`
		Steps  []struct {
			Uses string `json:"uses"`
			Run  string `json:"run"`
		} `json:"steps"`
	} `json:"jobs"`
}

var makeCall = regexp.MustCompile(`\bmake\s+([a-z0-9-]+)`)

func TestWorkflowsUseRealMakeTargets(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, line := range strings.Split(string(mk), "\n") {
		if m := regexp.MustCompile(`^([a-z0-9-]+):`).FindStringSubmatch(line); m != nil {
			targets[m[1]] = true
		}
	}
	files, _ := filepath.Glob("../../.github/workflows/*.yaml")
	if len(files) < 2 {
		t.Fatalf("want the nightly and pull-request workflows, found %v", files)
	}
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if w.Name == "" || len(w.On) == 0 || len(w.Jobs) == 0 {
			t.Fatalf("%s: needs name, on and jobs", f)
		}
		for job, j := range w.Jobs {
			if j.RunsOn == "" || len(j.Steps) == 0 {
				t.Errorf("%s: job %s needs runs-on and steps", f, job)
			}
			for _, s := range j.Steps {
				for _, m := range makeCall.FindAllStringSubmatch(s.Run, -1) {
					seen[m[1]] = true
					if !targets[m[1]] {
						t.Errorf("%s: job %s calls `make %s`, which the Makefile lacks", f, job, m[1])
					}
				}
			}
		}
	}
	for _, want := range []string{"e2e-nightly", "test"} {
		if !seen[want] {
			t.Errorf("no workflow runs `make %s`", want)
		}
	}
}
