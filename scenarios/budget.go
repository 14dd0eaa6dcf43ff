package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// BudgetValue is a parsed objective budget.
type BudgetValue struct {
	// Type says which of the other fields is set.
	Type ValueType
	// Duration is set for ValueDuration.
	Duration time.Duration
	// Ratio is set for ValueRatio, from 0 to 1.
	Ratio float64
	// Count is set for ValueCount.
	Count int64
}

// Float returns the budget as one number for Comparison.Holds: seconds for
// durations, the ratio for ratios, the count for counts.
func (v BudgetValue) Float() float64 {
	switch v.Type {
	case ValueDuration:
		return v.Duration.Seconds()
	case ValueRatio:
		return v.Ratio
	}
	return float64(v.Count)
}

// ParseBudget interprets the objective's budget according to its metric.
func (o *Objective) ParseBudget() (BudgetValue, error) {
	info, ok := metrics[o.Metric]
	if !ok {
		return BudgetValue{}, fmt.Errorf("unknown metric %q", o.Metric)
	}
	return parseBudget(string(o.Budget), info.value)
}

func parseBudget(s string, t ValueType) (BudgetValue, error) {
	s = strings.TrimSpace(s)
	v := BudgetValue{Type: t}
	switch t {
	case ValueDuration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return v, fmt.Errorf("must be a duration such as \"15s\": %w", err)
		}
		if d <= 0 {
			return v, fmt.Errorf("must be a duration > 0")
		}
		v.Duration = d
	case ValueRatio:
		pct := strings.HasSuffix(s, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return v, fmt.Errorf("must be a ratio such as 0.999 or \"99.9%%\"")
		}
		if pct {
			f /= 100
		}
		if f < 0 || f > 1 {
			return v, fmt.Errorf("must be a ratio from 0 to 1 (or a percentage such as \"99.9%%\"), got %s", s)
		}
		v.Ratio = f
	case ValueCount:
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return v, fmt.Errorf("must be a count such as 0 or \"1k\": %w", err)
		}
		n, ok := q.AsInt64()
		if !ok || n < 0 {
			return v, fmt.Errorf("must be a whole number >= 0, got %s", s)
		}
		v.Count = n
	}
	return v, nil
}
