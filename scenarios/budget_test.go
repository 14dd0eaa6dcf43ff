package scenarios

import (
	"testing"
	"time"
)

func TestParseBudget(t *testing.T) {
	for _, tc := range []struct {
		metric Metric
		budget Budget
		want   BudgetValue
		bad    bool
	}{
		{metric: MetricTotal, budget: "15s", want: BudgetValue{Type: ValueDuration, Duration: 15 * time.Second}},
		{metric: MetricCatchUp, budget: "1m30s", want: BudgetValue{Type: ValueDuration, Duration: 90 * time.Second}},
		{metric: MetricSuccessRatio, budget: "99.9%", want: BudgetValue{Type: ValueRatio, Ratio: 0.999}},
		{metric: MetricSuccessRatio, budget: "0.95", want: BudgetValue{Type: ValueRatio, Ratio: 0.95}},
		{metric: MetricLost, budget: "0", want: BudgetValue{Type: ValueCount}},
		{metric: MetricDuplicates, budget: "1k", want: BudgetValue{Type: ValueCount, Count: 1000}},
		{metric: MetricTotal, budget: "0s", bad: true},
		{metric: MetricTotal, budget: "15", bad: true},
		{metric: MetricSuccessRatio, budget: "101%", bad: true},
		{metric: MetricSuccessRatio, budget: "NaN", bad: true},
		{metric: MetricLost, budget: "-1", bad: true},
		{metric: MetricLost, budget: "1.5", bad: true},
		{metric: "nope", budget: "1", bad: true},
	} {
		o := Objective{Metric: tc.metric, Budget: tc.budget}
		got, err := o.ParseBudget()
		if tc.bad {
			if err == nil {
				t.Errorf("%s %q: no error", tc.metric, tc.budget)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.metric, tc.budget, err)
			continue
		}
		if got.Type != tc.want.Type || got.Duration != tc.want.Duration || got.Count != tc.want.Count ||
			got.Ratio < tc.want.Ratio-1e-12 || got.Ratio > tc.want.Ratio+1e-12 {
			t.Errorf("%s %q = %+v, want %+v", tc.metric, tc.budget, got, tc.want)
		}
	}
}

func TestComparisonHolds(t *testing.T) {
	v := BudgetValue{Type: ValueDuration, Duration: 15 * time.Second}
	if !AtMost.Holds(10.4, v.Float()) || AtMost.Holds(15.1, v.Float()) {
		t.Error("AtMost wrong")
	}
	if !AtLeast.Holds(0.9995, 0.999) || AtLeast.Holds(0.99, 0.999) {
		t.Error("AtLeast wrong")
	}
	if Comparison("~").Holds(1, 1) {
		t.Error("unknown comparison holds")
	}
}
