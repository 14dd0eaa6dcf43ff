package framework

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/edgeproof/edgeproof/reports"
)

// MeetObjectives succeeds when every verdict in a []reports.Verdict passed.
// Its failure message lists each failed objective on its own line as
// "name: metric value X against budget Y (margin Z)", followed by the
// verdict's detail when it has one (e.g. why a metric was not measured).
// An empty slice fails: a scenario always has objectives, so no verdicts
// means nothing was judged.
//
//	Expect(slo.Judge(sc.Spec.Objectives, m)).To(framework.MeetObjectives())
func MeetObjectives() types.GomegaMatcher { return meetObjectives{} }

type meetObjectives struct{}

func (meetObjectives) Match(actual any) (bool, error) {
	vs, ok := actual.([]reports.Verdict)
	if !ok {
		return false, fmt.Errorf("MeetObjectives expects []reports.Verdict, got %T", actual)
	}
	if len(vs) == 0 {
		return false, nil
	}
	for _, v := range vs {
		if !v.Pass {
			return false, nil
		}
	}
	return true, nil
}

func (meetObjectives) FailureMessage(actual any) string {
	vs, _ := actual.([]reports.Verdict)
	if len(vs) == 0 {
		return "Expected objectives to be met, but there were no verdicts: was anything judged?"
	}
	var b strings.Builder
	failed := 0
	for _, v := range vs {
		if v.Pass {
			continue
		}
		failed++
		fmt.Fprintf(&b, "\n  %s", DescribeVerdict(v))
	}
	return fmt.Sprintf("Expected every objective to be met; %d of %d missed:%s", failed, len(vs), b.String())
}

func (meetObjectives) NegatedFailureMessage(actual any) string {
	vs, _ := actual.([]reports.Verdict)
	return fmt.Sprintf("Expected some objective to be missed, but all %d were met", len(vs))
}

// DescribeVerdict renders v as "name: metric value X against budget Y
// (margin Z)", plus "; detail" when v has a detail; the numbers read as in
// the reports.
func DescribeVerdict(v reports.Verdict) string {
	value, budget, margin := v.Quantities()
	s := fmt.Sprintf("%s: %s value %s against budget %s (margin %s)", v.Objective, v.Metric, value, budget, margin)
	if v.Detail != "" {
		s += "; " + v.Detail
	}
	return s
}
