package slo

import (
	"fmt"
	"math"

	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Result holds what was measured over one interval: the whole run, or one
// occurrence of a fault. A nil field means that family was not measured
// there; objectives that need it fail saying so.
type Result struct {
	// Reschedule holds the reschedule phases of a node fault occurrence,
	// for the device simulators.
	Reschedule *Reschedule
	// PodReschedule holds them for the pods of objectives that select
	// their own, by scenarios.Objective.PodSelector.
	PodReschedule map[string]Reschedule
	// Availability holds what the devices saw.
	Availability *Availability
	// Delivery holds end-to-end delivery.
	Delivery *Delivery
	// Scaling holds the sink's scaling.
	Scaling *Scaling
	// Recovery holds recovery after a fault occurrence.
	Recovery *Recovery
	// Probes holds each probe's availability by probe name; only the
	// whole run has them.
	Probes map[string]Availability
}

// Measurements is everything Judge needs about a run.
type Measurements struct {
	// Run covers the whole run; objectives that name no fault read it.
	Run Result
	// Faults maps a fault's name to one Result per occurrence, in the order
	// of scenarios.Fault.Windows; objectives that name the fault read them.
	Faults map[string][]Result
}

// NotMeasured starts the Detail of a verdict that failed because its value
// could not be measured (Unknown).
const NotMeasured = "not measured"

// Judge turns objectives into verdicts, one per objective in order.
// Objectives should have been through scenarios' Default (Load does it), so
// that reschedule and recovery objectives name their fault. For a fault
// that occurred several times the worst occurrence counts: the highest
// value for a <= objective, the lowest for >=. A metric that was not
// measured, for any occurrence, gives a failing verdict with value 0 and
// the reason in Detail.
func Judge(objs []scenarios.Objective, m Measurements) []reports.Verdict {
	out := make([]reports.Verdict, 0, len(objs))
	for _, o := range objs {
		out = append(out, judge(o, m))
	}
	return out
}

func judge(o scenarios.Objective, m Measurements) reports.Verdict {
	v := reports.Verdict{Objective: o.Name, Kind: string(o.Kind), Metric: string(o.Metric), Unit: unit(o.Metric)}
	fail := func(format string, args ...any) reports.Verdict {
		v.Value, v.Margin, v.Pass = 0, 0, false
		v.Detail = fmt.Sprintf(format, args...)
		return v
	}
	budget, err := o.ParseBudget()
	if err != nil {
		return fail("invalid budget %q: %v", string(o.Budget), err)
	}
	v.Budget = budget.Float()
	op := o.Op
	if op == "" {
		op = o.Metric.ImpliedOp()
	}
	if op != scenarios.AtMost && op != scenarios.AtLeast {
		return fail("metric %s needs op <= or >=", o.Metric)
	}

	results, where := []Result{m.Run}, "the run"
	if o.Fault != "" {
		results, where = m.Faults[o.Fault], "fault "+o.Fault
		if len(results) == 0 {
			return fail(NotMeasured+": no occurrence of fault %s was measured", o.Fault)
		}
	}
	worst, worstAt := 0.0, -1
	for i, r := range results {
		val := pick(o, r)
		if !val.Known {
			if len(results) > 1 {
				return fail(NotMeasured+" for occurrence %d of %d of %s: %s", i+1, len(results), where, val.Reason)
			}
			return fail(NotMeasured+" for %s: %s", where, val.Reason)
		}
		if worstAt < 0 || (op == scenarios.AtMost && val.V > worst) || (op == scenarios.AtLeast && val.V < worst) {
			worst, worstAt = val.V, i
		}
	}
	v.Value = worst
	v.Pass = op.Holds(worst, v.Budget)
	v.Margin = v.Budget - worst
	if op == scenarios.AtLeast {
		v.Margin = worst - v.Budget
	}
	// Keep margins free of float noise such as 0.000499999999 for
	// 0.9995 - 0.999; a nanosecond or 1e-9 of a ratio is far below any
	// budget's precision.
	v.Margin = math.Round(v.Margin*1e9) / 1e9
	if len(results) > 1 {
		v.Detail = fmt.Sprintf("worst of %d occurrences of %s: occurrence %d", len(results), where, worstAt+1)
	}
	return v
}

// pick reads the objective's metric from r.
func pick(o scenarios.Objective, r Result) Value {
	missing := Unknown("no %s measurement was taken", o.Kind)
	switch o.Kind {
	case scenarios.ObjectiveReschedule:
		rs := r.Reschedule
		if sel := o.PodSelector(); sel != "" {
			v, ok := r.PodReschedule[sel]
			if !ok {
				return Unknown("pods %s were not timed", sel)
			}
			rs = &v
		}
		if rs == nil {
			return missing
		}
		switch o.Metric {
		case scenarios.MetricNodeNotReady:
			return rs.NodeNotReady
		case scenarios.MetricPodsEvicted:
			return rs.PodsEvicted
		case scenarios.MetricPodsScheduled:
			return rs.PodsScheduled
		case scenarios.MetricTotal:
			return rs.Total
		}
	case scenarios.ObjectiveAvailability:
		if o.Probe != "" {
			a, ok := r.Probes[o.Probe]
			if !ok {
				return Unknown("probe %s was not measured", o.Probe)
			}
			return pickAvailability(o.Metric, a)
		}
		if r.Availability == nil {
			return missing
		}
		return pickAvailability(o.Metric, *r.Availability)
	case scenarios.ObjectiveDelivery:
		if r.Delivery == nil {
			return missing
		}
		switch o.Metric {
		case scenarios.MetricLost:
			return r.Delivery.Lost
		case scenarios.MetricDuplicates:
			return r.Delivery.Duplicates
		case scenarios.MetricP99Latency:
			return r.Delivery.P99Latency
		case scenarios.MetricMaxLatency:
			return r.Delivery.MaxLatency
		}
	case scenarios.ObjectiveScaling:
		if r.Scaling == nil {
			return missing
		}
		switch o.Metric {
		case scenarios.MetricScaleOut:
			return r.Scaling.ScaleOut
		case scenarios.MetricReplicas:
			return r.Scaling.Replicas
		}
	case scenarios.ObjectiveRecovery:
		if r.Recovery == nil {
			return missing
		}
		switch o.Metric {
		case scenarios.MetricTotal:
			return r.Recovery.Total
		case scenarios.MetricCatchUp:
			return r.Recovery.CatchUp
		case scenarios.MetricDuplicatePods:
			return r.Recovery.DuplicatePods
		case scenarios.MetricStaleEndpoints:
			return r.Recovery.StaleEndpoints
		}
	}
	return Unknown("metric %s does not apply to kind %s", o.Metric, o.Kind)
}

func pickAvailability(m scenarios.Metric, a Availability) Value {
	switch m {
	case scenarios.MetricSuccessRatio:
		return a.SuccessRatio
	case scenarios.MetricLongestOutage:
		return a.LongestOutage
	case scenarios.MetricMinReady:
		return a.MinReady
	}
	return Unknown("metric %s does not apply to kind %s", m, scenarios.ObjectiveAvailability)
}

// unit is the report unit of a metric's values.
func unit(m scenarios.Metric) string {
	switch m.ValueType() {
	case scenarios.ValueDuration:
		return "s"
	case scenarios.ValueRatio:
		return "ratio"
	case scenarios.ValueCount:
		return "count"
	}
	return ""
}
