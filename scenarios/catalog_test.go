package scenarios

import (
	"path"
	"slices"
	"strings"
	"testing"
)

func TestCatalogLoads(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatalf("catalog does not validate:\n%v", err)
	}
	if len(all) < 11 {
		t.Fatalf("catalog has %d scenarios, want at least 11", len(all))
	}
	covered := map[FaultKind]bool{}
	for _, s := range all {
		want := strings.TrimSuffix(path.Base(s.Source()), ".yaml")
		if s.Metadata.Name != want {
			t.Errorf("%s: metadata.name %q does not match the file name", s.Source(), s.Metadata.Name)
		}
		if s.Metadata.Description == "" {
			t.Errorf("%s: no description", s.Source())
		}
		for _, k := range s.FaultKinds() {
			covered[k] = true
		}
		again, err := CatalogScenario(s.Metadata.Name)
		if err != nil || again.Metadata.Name != s.Metadata.Name {
			t.Errorf("CatalogScenario(%q) = %v, %v", s.Metadata.Name, again, err)
		}
	}
	for _, k := range AllFaultKinds() {
		if !covered[k] {
			t.Errorf("no catalog scenario injects %s", k)
		}
	}
}

// TestCatalogBudgetsJustified checks that every objective in the catalog is
// preceded by a comment, the budget's justification.
func TestCatalogBudgetsJustified(t *testing.T) {
	names, _ := fsGlob("catalog/*.yaml")
	for _, name := range names {
		data, err := catalogFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		inObjectives := false
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "objectives:") {
				inObjectives = true
				continue
			}
			if inObjectives && strings.HasPrefix(strings.TrimSpace(l), "- name:") {
				if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
					t.Errorf("%s:%d: objective without a comment justifying its budget", name, i+1)
				}
			}
		}
	}
}

func TestCatalogSmokeIsTiny(t *testing.T) {
	s, err := CatalogScenario("smoke")
	if err != nil {
		t.Fatal(err)
	}
	if s.Disruptive() || len(s.Spec.Faults) != 0 {
		t.Errorf("smoke should inject no faults")
	}
	if got := s.Requirements(); got.NodeAccess || got.NodeLifecycle || got.ChaosMesh != NeedNone {
		t.Errorf("smoke should need nothing special, got %+v", got)
	}
}

func fsGlob(pattern string) ([]string, error) {
	entries, err := catalogFS.ReadDir("catalog")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if ok, _ := path.Match(path.Base(pattern), e.Name()); ok {
			out = append(out, "catalog/"+e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}
