package slo

import (
	"strings"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

func obj(name string, kind scenarios.ObjectiveKind, metric scenarios.Metric, budget, fault string) scenarios.Objective {
	return scenarios.Objective{Name: name, Kind: kind, Metric: metric, Budget: scenarios.Budget(budget), Fault: fault}
}

func TestJudge(t *testing.T) {
	s := func(sec float64) Value { return Seconds(time.Duration(sec * float64(time.Second))) }
	resched := func(total float64) Result {
		return Result{Reschedule: &Reschedule{NodeNotReady: s(7.5), TaintsApplied: s(7.6), PodsEvicted: s(8.5), PodsScheduled: s(9), Total: s(total)}}
	}
	run := Result{
		Availability: &Availability{SuccessRatio: Ratio(0.9995), LongestOutage: s(11)},
		Delivery:     &Delivery{Lost: Count(3), Duplicates: Count(40), P99Latency: s(0.8), MaxLatency: s(0.9)},
		Scaling:      &Scaling{ScaleOut: s(60), Replicas: Count(6)},
	}
	m := Measurements{
		Run: run,
		Faults: map[string][]Result{
			"power-cut": {resched(10.4)},
			"cut-off":   {resched(10), resched(16), resched(12)},
			"kill-sink": {
				{Recovery: &Recovery{Total: s(90), CatchUp: s(20)}},
				{Recovery: &Recovery{Total: s(100), CatchUp: Unknown("sink stalled")}},
			},
			"load-x4":    {{Scaling: &Scaling{ScaleOut: s(75), Replicas: Count(6)}}},
			"storm":      {{Reschedule: &Reschedule{Total: Unknown("still Ready: edge-a")}}},
			"roll":       {{Availability: &Availability{MinReady: Count(1)}}, {Availability: &Availability{MinReady: Count(0)}}},
			"roll-blind": {{Availability: &Availability{MinReady: Unknown("watching sink pods: the watch closed")}}},
		},
	}
	withOp := func(o scenarios.Objective, op scenarios.Comparison) scenarios.Objective { o.Op = op; return o }
	R, A, D, S, C := scenarios.ObjectiveReschedule, scenarios.ObjectiveAvailability, scenarios.ObjectiveDelivery, scenarios.ObjectiveScaling, scenarios.ObjectiveRecovery
	for _, tc := range []struct {
		o                     scenarios.Objective
		value, budget, margin float64
		unit                  string
		pass                  bool
		detail                string // substring; "" means Detail must be empty
	}{
		{obj("rescheduled", R, scenarios.MetricTotal, "15s", "power-cut"), 10.4, 15, 4.6, "s", true, ""},
		{obj("node-unknown", R, scenarios.MetricNodeNotReady, "7s", "power-cut"), 7.5, 7, -0.5, "s", false, ""},
		{obj("evicted", R, scenarios.MetricPodsEvicted, "10s", "power-cut"), 8.5, 10, 1.5, "s", true, ""},
		{obj("scheduled", R, scenarios.MetricPodsScheduled, "9s", "power-cut"), 9, 9, 0, "s", true, ""},
		{obj("worst", R, scenarios.MetricTotal, "15s", "cut-off"), 16, 15, -1, "s", false, "worst of 3 occurrences of fault cut-off: occurrence 2"},
		{obj("available", A, scenarios.MetricSuccessRatio, "99.9%", ""), 0.9995, 0.999, 0.0005, "ratio", true, ""},
		{obj("outage", A, scenarios.MetricLongestOutage, "10s", ""), 11, 10, -1, "s", false, ""},
		{obj("serving", A, scenarios.MetricMinReady, "1", "roll"), 0, 1, -1, "count", false, "worst of 2 occurrences of fault roll: occurrence 2"},
		{obj("serving-blind", A, scenarios.MetricMinReady, "1", "roll-blind"), 0, 1, 0, "count", false, "not measured for fault roll-blind: watching sink pods"},
		{obj("lost", D, scenarios.MetricLost, "0", ""), 3, 0, -3, "count", false, ""},
		{obj("dups", D, scenarios.MetricDuplicates, "1k", ""), 40, 1000, 960, "count", true, ""},
		{obj("latency", D, scenarios.MetricP99Latency, "1s", ""), 0.8, 1, 0.2, "s", true, ""},
		// A cut that should have held messages back for a minute, and did not.
		{withOp(obj("held-back", D, scenarios.MetricMaxLatency, "40s", ""), scenarios.AtLeast), 0.9, 40, -39.1, "s", false, ""},
		{obj("scale-out", S, scenarios.MetricScaleOut, "90s", "load-x4"), 75, 90, 15, "s", true, ""},
		{withOp(obj("replicas", S, scenarios.MetricReplicas, "4", ""), scenarios.AtLeast), 6, 4, 2, "count", true, ""},
		{withOp(obj("few-replicas", S, scenarios.MetricReplicas, "4", ""), scenarios.AtMost), 6, 4, -2, "count", false, ""},
		{obj("recovered", C, scenarios.MetricTotal, "120s", "kill-sink"), 100, 120, 20, "s", true, "worst of 2 occurrences"},
		{obj("catch-up", C, scenarios.MetricCatchUp, "150s", "kill-sink"), 0, 150, 0, "s", false, "not measured for occurrence 2 of 2 of fault kill-sink: sink stalled"},
		// Not measured, in each way it can happen.
		{obj("no-phase", R, scenarios.MetricTotal, "15s", "storm"), 0, 15, 0, "s", false, "not measured for fault storm: still Ready: edge-a"},
		{obj("no-fault", R, scenarios.MetricTotal, "15s", "never-injected"), 0, 15, 0, "s", false, "no occurrence of fault never-injected"},
		{obj("no-family", C, scenarios.MetricTotal, "30s", ""), 0, 30, 0, "s", false, "no recovery measurement was taken"},
		{obj("no-op", S, scenarios.MetricReplicas, "4", ""), 0, 4, 0, "count", false, "needs op"},
		{obj("bad-budget", D, scenarios.MetricLost, "lots", ""), 0, 0, 0, "count", false, "invalid budget"},
		{obj("wrong-kind", A, scenarios.MetricLost, "0", ""), 0, 0, 0, "count", false, "does not apply to kind availability"},
	} {
		t.Run(tc.o.Name, func(t *testing.T) {
			got := Judge([]scenarios.Objective{tc.o}, m)
			if len(got) != 1 {
				t.Fatalf("got %d verdicts", len(got))
			}
			v := got[0]
			want := reports.Verdict{Objective: tc.o.Name, Kind: string(tc.o.Kind), Metric: string(tc.o.Metric),
				Value: tc.value, Budget: tc.budget, Unit: tc.unit, Margin: tc.margin, Pass: tc.pass, Detail: v.Detail}
			if !near(v, want) {
				t.Errorf("verdict\n got %+v\nwant %+v", v, want)
			}
			if tc.detail == "" && v.Detail != "" || !strings.Contains(v.Detail, tc.detail) {
				t.Errorf("detail %q, want it to contain %q", v.Detail, tc.detail)
			}
		})
	}
}

func near(a, b reports.Verdict) bool {
	close := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return close(a.Value, b.Value) && close(a.Budget, b.Budget) && close(a.Margin, b.Margin) &&
		a.Objective == b.Objective && a.Kind == b.Kind && a.Metric == b.Metric && a.Unit == b.Unit && a.Pass == b.Pass
}

// TestJudgeCoversEveryMetric keeps the table above honest when a metric is
// added to scenarios.
func TestJudgeCoversEveryMetric(t *testing.T) {
	kinds := []scenarios.ObjectiveKind{scenarios.ObjectiveReschedule, scenarios.ObjectiveAvailability,
		scenarios.ObjectiveDelivery, scenarios.ObjectiveScaling, scenarios.ObjectiveRecovery}
	full := Result{
		Reschedule:   &Reschedule{NodeNotReady: Seconds(1), TaintsApplied: Seconds(1), PodsEvicted: Seconds(1), PodsScheduled: Seconds(1), Total: Seconds(1)},
		Availability: &Availability{SuccessRatio: Ratio(1), LongestOutage: Seconds(1), MinReady: Count(1)},
		Delivery:     &Delivery{Lost: Count(0), Duplicates: Count(0), P99Latency: Seconds(1), MaxLatency: Seconds(time.Second)},
		Scaling:      &Scaling{ScaleOut: Seconds(1), Replicas: Count(1)},
		Recovery:     &Recovery{Total: Seconds(1), CatchUp: Seconds(1), DuplicatePods: Count(0), StaleEndpoints: Count(0)},
	}
	for _, k := range kinds {
		for _, metric := range k.Metrics() {
			o := obj("o", k, metric, "1", "")
			if metric.ValueType() == scenarios.ValueDuration {
				o.Budget = "1s"
			}
			o.Op = scenarios.AtLeast
			if metric.ImpliedOp() != "" {
				o.Op = metric.ImpliedOp()
			}
			if v := Judge([]scenarios.Objective{o}, Measurements{Run: full})[0]; !v.Pass {
				t.Errorf("%s/%s: %+v", k, metric, v)
			}
		}
	}
}

func TestJudgeKeepsOrder(t *testing.T) {
	objs := []scenarios.Objective{
		obj("b", scenarios.ObjectiveDelivery, scenarios.MetricLost, "0", ""),
		obj("a", scenarios.ObjectiveDelivery, scenarios.MetricDuplicates, "0", ""),
	}
	got := Judge(objs, Measurements{Run: Result{Delivery: &Delivery{Lost: Count(0), Duplicates: Count(0)}}})
	if len(got) != 2 || got[0].Objective != "b" || got[1].Objective != "a" || !got[0].Pass || !got[1].Pass {
		t.Errorf("got %+v", got)
	}
}
