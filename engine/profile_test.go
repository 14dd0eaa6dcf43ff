package engine

import (
	"testing"

	"github.com/edgeproof/edgeproof/scenarios"
)

func TestWithProfile(t *testing.T) {
	sc, err := scenarios.CatalogScenario("smoke")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := withProfile(sc, nil); got != sc || err != nil {
		t.Fatalf("withProfile(nil) = %p, %v; want the scenario itself", got, err)
	}
	p, err := scenarios.LoadProfileBytes("strict.yaml", []byte(`apiVersion: edgeproof.dev/v1alpha1
kind: BudgetProfile
metadata: {name: strict}
spec:
  scenarios:
    smoke: {latency: 500ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := withProfile(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Spec.Objectives[1].Budget; b != "500ms" {
		t.Errorf("profiled budget %q, want 500ms", b)
	}
	if b := sc.Spec.Objectives[1].Budget; b != "1s" {
		t.Errorf("the caller's scenario changed: budget %q, want 1s", b)
	}

	sc.Spec.Objectives[1].Budget = "100ms"
	if _, err := withProfile(sc, p); err == nil {
		t.Error("withProfile accepted a profile looser than the scenario")
	}
}
