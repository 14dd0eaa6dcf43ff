package slo

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/scenarios"
)

func TestProbeAvailability(t *testing.T) {
	got := ProbeAvailability([]string{"web", "idle", "gone"}, []ProbeCounts{
		{Name: "web", Attempts: 200, Successes: 190, LongestOutage: 2250 * time.Millisecond},
		{Name: "idle"},
	}, nil)
	if w := got["web"]; !w.SuccessRatio.Known || w.SuccessRatio.V != 0.95 || w.LongestOutage.V != 2.25 {
		t.Errorf("web: %+v, want ratio 0.95 and outage 2.25 s", w)
	}
	for name, want := range map[string]string{"idle": "made no attempt", "gone": "has no probe gone"} {
		a := got[name]
		if a.SuccessRatio.Known || a.LongestOutage.Known || !strings.Contains(a.SuccessRatio.Reason, want) {
			t.Errorf("%s: %+v, want Unknown because it %s", name, a, want)
		}
	}
	unread := ProbeAvailability([]string{"web"}, nil, errors.New("no prober pod"))
	if a := unread["web"]; a.SuccessRatio.Known || !strings.Contains(a.LongestOutage.Reason, "no prober pod") {
		t.Errorf("unread prober: %+v, want Unknown with the reason", a)
	}
}

func TestJudgeProbeObjectives(t *testing.T) {
	objs := []scenarios.Objective{
		{Name: "up", Kind: scenarios.ObjectiveAvailability, Metric: scenarios.MetricSuccessRatio, Probe: "web", Budget: "99%"},
		{Name: "short", Kind: scenarios.ObjectiveAvailability, Metric: scenarios.MetricLongestOutage, Probe: "web", Budget: "3s"},
	}
	probed := ProbeAvailability([]string{"web"}, []ProbeCounts{{Name: "web", Attempts: 100, Successes: 95, LongestOutage: time.Second}}, nil)
	v := Judge(objs, Measurements{Run: Result{Probes: probed}})
	if v[0].Pass || v[0].Value != 0.95 || !v[1].Pass || v[1].Value != 1 {
		t.Errorf("verdicts %+v: want up failing at 0.95 and short passing at 1 s", v)
	}
	// The devices' availability must not stand in for a probe's.
	v = Judge(objs, Measurements{Run: Result{Availability: &Availability{SuccessRatio: Ratio(1), LongestOutage: Seconds(0)}}})
	for _, x := range v {
		if x.Pass || !strings.HasPrefix(x.Detail, NotMeasured) {
			t.Errorf("%s without probe readings: %+v, want a failing Unknown", x.Objective, x)
		}
	}
}
