package reports

// Totals counts a report's outcomes.
type Totals struct {
	// Scenarios is the number of scenarios.
	Scenarios int
	// Passed, Failed and Skipped count scenarios by state.
	Passed, Failed, Skipped int
	// Verdicts is the number of judged objectives; VerdictsPassed how many held.
	Verdicts, VerdictsPassed int
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
		for _, v := range s.Verdicts {
			t.Verdicts++
			if v.Pass {
				t.VerdictsPassed++
			}
		}
	}
	return t
}

// Passed reports whether the run succeeded: no scenario failed and every
// verdict held. Skipped scenarios do not fail a run.
func (r *Report) Passed() bool {
	t := r.Totals()
	return t.Failed == 0 && t.VerdictsPassed == t.Verdicts
}
