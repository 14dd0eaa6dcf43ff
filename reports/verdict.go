package reports

import (
	"fmt"
	"io"
	"strings"
)

// WriteVerdict writes r's overall verdict as plain text for a terminal: the
// scenario and objective counts, then a line per scenario that failed or was
// skipped and one per missed objective.
func WriteVerdict(w io.Writer, r *Report) error {
	t := r.Totals()
	word := "PASSED"
	switch {
	case t.Passed == 0 && t.Failed == 0:
		word = "FAILED: no scenario ran"
	case !r.Passed():
		word = "FAILED"
	case t.Skipped > 0:
		word = "PASSED with skipped scenarios"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "verdict: %s: %d of %d scenarios passed, %d failed, %d skipped; %d of %d objectives held\n",
		word, t.Passed, t.Scenarios, t.Failed, t.Skipped, t.VerdictsPassed, t.Verdicts)
	for _, s := range r.Scenarios {
		switch s.State {
		case StateSkipped:
			fmt.Fprintf(&b, "  skipped %s: %s\n", s.Name, skipReason(s.SkipReason))
		case StateFailed:
			fmt.Fprintf(&b, "  failed  %s: %s\n", s.Name, firstLine(s.Failure))
		}
		for _, v := range s.Verdicts {
			if !v.Pass {
				value, budget, _ := v.Quantities()
				fmt.Fprintf(&b, "          %s: objective %q: %s, budget %s\n", s.Name, v.Objective, value, budget)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
