package reports

// Totals counts a report's outcomes.
type Totals struct {
	// Scenarios is the number of scenarios.
	Scenarios int
	// Passed, Failed and Skipped count scenarios by state.
	Passed, Failed, Skipped int
	// Verdicts is the number of judged objectives; VerdictsPassed how many held.
	// Mutation-suite runs' verdicts are not counted: they fail by design.
	Verdicts, VerdictsPassed int
	// Mutants counts mutation-suite runs; MutantsCaught how many failed as
	// they must.
	Mutants, MutantsCaught int
}

// Totals counts r's scenarios by state and its verdicts by outcome.
func (r *Report) Totals() Totals {
	var t Totals
	for _, s := range r.Scenarios {
		t.Scenarios++
		switch s.State {
		case StatePassed:
			t.Passed++
		case StateFailed:
			t.Failed++
		case StateSkipped:
			t.Skipped++
		}
		if s.Mutant != nil {
			t.Mutants++
			if s.Mutant.Caught {
				t.MutantsCaught++
			}
			continue
		}
		for _, v := range s.Verdicts {
			t.Verdicts++
			if v.Pass {
				t.VerdictsPassed++
			}
		}
	}
	return t
}

// Passed reports whether the run succeeded: at least one scenario passed,
// none failed and every verdict held. Skipped scenarios do not fail a run,
// but a run in which nothing passed (all skipped, or none recorded)
// certifies nothing and is not a pass.
func (r *Report) Passed() bool {
	t := r.Totals()
	return t.Passed > 0 && t.Failed == 0 && t.VerdictsPassed == t.Verdicts && t.MutantsCaught == t.Mutants
}
