package framework

import (
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/reports"
)

func TestMeetObjectives(t *testing.T) {
	pass := reports.Verdict{Objective: "latency", Metric: "p99Latency", Value: 0.8, Budget: 1, Unit: "s", Margin: 0.2, Pass: true}
	slow := reports.Verdict{Objective: "rescheduled", Metric: "total", Value: 16.25, Budget: 15, Unit: "s", Margin: -1.25}
	ratio := reports.Verdict{Objective: "available", Metric: "successRatio", Value: 0.9985, Budget: 0.999, Unit: "ratio", Margin: -0.0005}
	unmeasured := reports.Verdict{Objective: "node-unknown", Metric: "nodeNotReady", Budget: 10, Unit: "s",
		Detail: "not measured for fault power-cut: still Ready: edge-a"}
	m := MeetObjectives()

	ok, err := m.Match([]reports.Verdict{pass, pass})
	if err != nil || !ok {
		t.Fatalf("all passed: ok=%v err=%v", ok, err)
	}
	if msg := m.NegatedFailureMessage([]reports.Verdict{pass}); !strings.Contains(msg, "all 1 were met") {
		t.Errorf("negated message %q", msg)
	}

	vs := []reports.Verdict{pass, slow, ratio, unmeasured}
	if ok, err := m.Match(vs); err != nil || ok {
		t.Fatalf("failures: ok=%v err=%v", ok, err)
	}
	msg := m.FailureMessage(vs)
	for _, want := range []string{
		"3 of 4 missed",
		"\n  rescheduled: total value 16.25 s against budget 15 s (margin -1.25 s)",
		"\n  available: successRatio value 0.9985 against budget 0.999 (margin -0.0005)",
		"\n  node-unknown: nodeNotReady value 0 s against budget 10 s (margin 0 s); not measured for fault power-cut: still Ready: edge-a",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "latency") {
		t.Errorf("failure message lists a met objective:\n%s", msg)
	}

	if ok, _ := m.Match([]reports.Verdict{}); ok {
		t.Error("no verdicts matched")
	}
	if msg := m.FailureMessage([]reports.Verdict(nil)); !strings.Contains(msg, "no verdicts") {
		t.Errorf("empty message %q", msg)
	}
	if _, err := m.Match("nope"); err == nil {
		t.Error("a string was accepted")
	}
	if got := DescribeVerdict(reports.Verdict{Objective: "dups", Metric: "duplicates", Value: 12, Budget: 10, Unit: "count", Margin: -2}); got != "dups: duplicates value 12 against budget 10 (margin -2)" {
		t.Errorf("count verdict: %q", got)
	}
}
