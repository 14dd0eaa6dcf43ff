package reports

import (
	"strings"
	"testing"
)

// TestPassedNeedsARun: a report in which nothing ran is not a pass, however
// clean it looks; a skip beside a pass is.
func TestPassedNeedsARun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		states []State
		want   bool
	}{
		{"empty", nil, false},
		{"all skipped", []State{StateSkipped, StateSkipped}, false},
		{"one passed, one skipped", []State{StatePassed, StateSkipped}, true},
		{"one failed", []State{StatePassed, StateFailed}, false},
	} {
		r := &Report{}
		for _, s := range tc.states {
			r.Scenarios = append(r.Scenarios, Scenario{Name: string(s), State: s})
		}
		if got := r.Passed(); got != tc.want {
			t.Errorf("%s: Passed() = %v, want %v", tc.name, got, tc.want)
		}
	}
	var b strings.Builder
	if err := WriteVerdict(&b, &Report{Scenarios: []Scenario{{Name: "x", State: StateSkipped, SkipReason: "no netem"}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "verdict: FAILED: no scenario ran") {
		t.Errorf("verdict of an all-skipped run: %q", b.String())
	}
}

// TestMutantsInTotalsAndSummary: a mutant run's failing verdicts are not
// counted as the report's objectives; the report passes only when every
// mutant was caught, and summary.md lists each with its expected
// objective's verdict.
func TestMutantsInTotalsAndSummary(t *testing.T) {
	caught := Scenario{Name: "uplink-cut [mutant gateway-no-store-forward]", State: StatePassed,
		Verdicts: []Verdict{{Objective: "nothing-lost", Kind: "delivery", Metric: "lost", Unit: "count", Value: 419, Budget: 0, Margin: -419}},
		Mutant:   &MutantRun{Name: "gateway-no-store-forward", Expect: []string{"nothing-lost"}, Caught: true}}
	r := &Report{SchemaVersion: SchemaVersion, Suite: Suite{Name: "mutants"}, Environment: Environment{EdgeproofVersion: "test"}, Scenarios: []Scenario{caught}}
	if tot := r.Totals(); tot.Verdicts != 0 || tot.Mutants != 1 || tot.MutantsCaught != 1 || !r.Passed() {
		t.Fatalf("totals %+v, passed %v", tot, r.Passed())
	}
	b, err := MarshalSummary(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "## Mutants") || !strings.Contains(string(b), "nothing-lost missed") || !strings.Contains(string(b), "419 vs 0") {
		t.Errorf("summary lacks the mutant row:\n%s", b)
	}
	missed := caught
	missed.Mutant = &MutantRun{Name: "x", Expect: []string{"nothing-lost"}, Caught: false}
	missed.State = StateFailed
	r.Scenarios = append(r.Scenarios, missed)
	if r.Passed() {
		t.Error("a report with an uncaught mutant passed")
	}
}
