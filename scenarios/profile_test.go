package scenarios

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestLoadProfileInvalid(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"budgets.yaml", []string{
			`testdata/profiles/budgets.yaml:7:5: spec.scenarios[node-power-los]: unknown scenario "node-power-los": not in the catalog (did you mean "node-power-loss"?)`,
			`testdata/profiles/budgets.yaml:10:7: spec.scenarios[node-power-loss][reschedule]: scenario node-power-loss has no objective "reschedule"; it has node-unknown, rescheduled, longest-outage, nothing-lost (did you mean "rescheduled"?)`,
			`testdata/profiles/budgets.yaml:11:20: spec.scenarios[node-power-loss][rescheduled]: invalid duration budget "soon": must be a duration such as "15s": time: invalid duration "soon"`,
			`testdata/profiles/budgets.yaml:12:21: spec.scenarios[node-power-loss][node-unknown]: budget 20s is looser than the scenario's own <= 11s (catalog/node-power-loss.yaml:`,
			`testdata/profiles/budgets.yaml:13:23: spec.scenarios[node-power-loss][longest-outage]: must be a scalar value, not a list`,
			`testdata/profiles/budgets.yaml:15:18: spec.scenarios[rolling-update][available]: budget 99% is looser than the scenario's own >= 99.9% (catalog/rolling-update.yaml:`,
			`testdata/profiles/budgets.yaml:17:17: spec.scenarios[hpa-scale-out][replicas]: budget 3 is looser than the scenario's own >= 4 (catalog/hpa-scale-out.yaml:`,
			`testdata/profiles/budgets.yaml:20:5: spec.mustRun[1]: unknown scenario "smok": not in the catalog (did you mean "smoke"?)`,
			`testdata/profiles/budgets.yaml:21:5: spec.mustRun[2]: scenario "smoke" listed twice`,
		}},
		{"header.yaml", []string{
			`testdata/profiles/header.yaml:1:13: apiVersion: unsupported value "edgeproof.dev/v1": must be "edgeproof.dev/v1alpha1"`,
			`testdata/profiles/header.yaml:2:7: kind: unsupported value "Profile": must be "BudgetProfile"`,
			`testdata/profiles/header.yaml:4:9: metadata.name: invalid name "Strict_Profile": `,
			`testdata/profiles/header.yaml:6:3: spec.scenario: unknown field "scenario" (did you mean "scenarios"?)`,
			`testdata/profiles/header.yaml:6:3: spec.scenarios: required: a profile tightens at least one budget`,
		}},
		{"multi-doc.yaml", []string{
			"testdata/profiles/multi-doc.yaml:9:1: a budget profile file holds exactly one YAML document",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			_, err := LoadProfile("testdata/profiles/" + tc.file)
			list, ok := errors.AsType[ErrorList](err)
			if !ok {
				t.Fatalf("error is %T (%v), want an ErrorList", err, err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tc.want), err)
			}
			for i, e := range list {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %d:\n got %s\nwant %s", i, e.Error(), tc.want[i])
				}
			}
		})
	}
}

func TestProfileApply(t *testing.T) {
	p, err := LoadProfile("testdata/profiles/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := CatalogScenario("node-power-loss")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(sc); err != nil {
		t.Fatal(err)
	}
	for _, o := range sc.Spec.Objectives {
		want := map[string]Budget{"rescheduled": "12s", "nothing-lost": "0", "node-unknown": "11s"}[o.Name]
		if want != "" && o.Budget != want {
			t.Errorf("%s: budget %q, want %q", o.Name, o.Budget, want)
		}
	}

	// A scenario the profile does not name is left alone.
	smoke, _ := CatalogScenario("smoke")
	before := smoke.Spec.Objectives[1].Budget
	if err := p.Apply(smoke); err != nil || smoke.Spec.Objectives[1].Budget != before {
		t.Errorf("Apply(smoke) = %v, budget %q; want no change", err, smoke.Spec.Objectives[1].Budget)
	}
}

// TestProfileApplyRefusesLooser covers a scenario stricter than the catalog
// the profile was checked against, e.g. an edited file: Apply names both
// budgets and leaves the scenario as it was.
func TestProfileApplyRefusesLooser(t *testing.T) {
	p, err := LoadProfile("testdata/profiles/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := CatalogScenario("rolling-update")
	sc.Spec.Objectives[1].Budget = "99.99%"
	err = p.Apply(sc)
	want := `testdata/profiles/valid.yaml:11:18: spec.scenarios[rolling-update][available]: budget 99.95% is looser than the scenario's own >= 99.99%`
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Apply = %v\nwant %s", err, want)
	}
	if sc.Spec.Objectives[1].Budget != "99.99%" {
		t.Errorf("a refused Apply changed the scenario")
	}
}

// TestCertifyProfile keeps profiles/certify.yaml in step with the catalog:
// a renamed objective or a budget tightened below the profile's fails here.
func TestCertifyProfile(t *testing.T) {
	p, err := LoadProfile("profiles/certify.yaml")
	if err != nil {
		t.Fatalf("the certification profile does not load against the catalog:\n%v", err)
	}
	if p.Metadata.Name != "certify" {
		t.Errorf("name %q, want certify", p.Metadata.Name)
	}
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if err := p.Apply(sc); err != nil {
			t.Errorf("%s: %v", sc.Metadata.Name, err)
		}
	}
	// Certification on the default kind topology must run the scenarios
	// that need neither Chaos Mesh, sch_netem nor arm64 nodes.
	for _, name := range []string{"smoke", "node-power-loss", "kubelet-crash", "uplink-cut", "zone-partition", "isolated-reboot", "crash-loop"} {
		if !p.Requires(name) {
			t.Errorf("profiles/certify.yaml: mustRun lacks %s", name)
		}
	}
	// Every budget carries its justification on its line.
	data, err := os.ReadFile("profiles/certify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "      ") && !strings.HasPrefix(strings.TrimSpace(l), "#") && !strings.Contains(l, "#") {
			t.Errorf("profiles/certify.yaml:%d: budget without a comment justifying it", i+1)
		}
	}
}
