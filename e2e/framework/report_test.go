package framework

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/reports"
)

func TestBuildReportAndPrintVerdicts(t *testing.T) {
	now := time.Now()
	verdict := reports.Verdict{Objective: "reschedule after power loss", Metric: "total", Unit: "s", Value: 12, Budget: 20, Margin: 8, Pass: true}
	gr := types.Report{
		SuiteDescription: "edgeproof e2e", StartTime: now, EndTime: now.Add(time.Minute), RunTime: time.Minute,
		SpecReports: types.SpecReports{
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "moves pods", State: types.SpecStatePassed, RunTime: time.Second,
				ReportEntries: types.ReportEntries{{Name: VerdictEntry, Value: types.WrapEntryValue(verdict)}}},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "breaks", State: types.SpecStateFailed,
				Failure:       types.Failure{Message: "boom"},
				ReportEntries: types.ReportEntries{{Name: ArtifactEntry, Value: types.WrapEntryValue("/art/breaks")}}},
			{LeafNodeType: types.NodeTypeIt, LeafNodeText: "not run", State: types.SpecStateSkipped},
			{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed},
		},
	}
	rep := BuildReport(gr, reports.Environment{EdgeproofVersion: "dev"}, "/art")
	if err := rep.Validate(); err != nil {
		t.Fatalf("report does not validate: %v", err)
	}
	if len(rep.Scenarios) != 2 {
		t.Fatalf("scenarios = %d, want 2 (suite nodes and specs the filter left out are not part of the run)", len(rep.Scenarios))
	}
	if s := rep.Scenarios[0]; s.State != reports.StatePassed || len(s.Verdicts) != 1 || s.Verdicts[0] != verdict {
		t.Errorf("passed spec = %+v", s)
	}
	if s := rep.Scenarios[1]; s.State != reports.StateFailed || s.Failure != "boom" || len(s.Artifacts) != 1 || s.Artifacts[0].Path != "breaks" {
		t.Errorf("failed spec = %+v", s)
	}
	// A spec that skipped itself says why, and counts.
	self := gr
	self.SpecReports = append(types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "no arm64 node",
		State: types.SpecStateSkipped, Failure: types.Failure{Message: "needs an arm64 node"}}}, gr.SpecReports...)
	if s := BuildReport(self, reports.Environment{}, "/art").Scenarios[0]; s.State != reports.StateSkipped || s.SkipReason != "needs an arm64 node" {
		t.Errorf("self-skipped spec = %+v", s)
	}
	// A suite cut short reports what it did not reach, with its reason.
	gr.SpecialSuiteFailureReasons = []string{"Suite Timeout Elapsed"}
	cut := BuildReport(gr, reports.Environment{}, "/art")
	if len(cut.Scenarios) != 3 || !strings.Contains(cut.Scenarios[2].SkipReason, "suite ended before it (Suite Timeout Elapsed)") {
		t.Errorf("after a suite timeout: %+v", cut.Scenarios)
	}
	var buf bytes.Buffer
	PrintVerdicts(&buf, rep, "/art")
	for _, want := range []string{"reschedule after power loss", "12 s", "20 s", "+8 s", "pass", "/art/summary.md"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestFailures(t *testing.T) {
	lost := reports.Verdict{Objective: "latency", Kind: "delivery", Metric: "p99Latency", Unit: "s", Value: 136.7, Budget: 1, Margin: -135.7}
	gr := types.Report{SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed,
			Failure: types.Failure{Message: "cluster setup\nnode edgeproof-worker2 not Ready after 4m0s",
				Location: types.CodeLocation{FileName: "suite_test.go", LineNumber: 61}}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "smoke", State: types.SpecStateFailed,
			Failure:       types.Failure{Message: "objectives not met: latency"},
			ReportEntries: types.ReportEntries{{Name: VerdictEntry, Value: types.WrapEntryValue(lost)}}},
		{LeafNodeType: types.NodeTypeIt, LeafNodeText: "fine", State: types.SpecStatePassed},
	}}
	got := Failures(gr, BuildReport(gr, reports.Environment{}, "/art"))
	for _, want := range []string{
		"FAILED SynchronizedBeforeSuite at suite_test.go:61", "node edgeproof-worker2 not Ready after 4m0s",
		"FAILED smoke", "FAIL latency", "delivery/p99Latency = 136.7 s (budget 1 s, margin -135.7 s)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("failures lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fine") {
		t.Errorf("failures list a passed spec:\n%s", got)
	}

	dir := t.TempDir()
	if err := WriteFailures(dir, gr, BuildReport(gr, reports.Environment{}, dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FailuresFile)); err != nil {
		t.Fatalf("failed run left no %s: %v", FailuresFile, err)
	}
	passed := types.Report{SpecReports: gr.SpecReports[2:]}
	if err := WriteFailures(dir, passed, BuildReport(passed, reports.Environment{}, dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FailuresFile)); !os.IsNotExist(err) {
		t.Errorf("a passed run kept the stale %s (stat: %v)", FailuresFile, err)
	}
}

// A caught defect's run keeps its mutant record, so its failing verdicts
// (failing by design) are not counted against the suite.
func TestBuildReportKeepsTheMutantRecord(t *testing.T) {
	now := time.Now()
	run := reports.Scenario{Name: "variant", State: reports.StatePassed,
		Verdicts: []reports.Verdict{{Objective: "outage", Metric: "longestOutage", Unit: "s", Value: 2, Budget: 1, Margin: -1}},
		Mutant:   &reports.MutantRun{Name: "variant", Expect: []string{"outage"}, Caught: true}}
	gr := types.Report{SuiteDescription: "edgeproof e2e", StartTime: now, EndTime: now.Add(time.Minute), RunTime: time.Minute,
		SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "catches", State: types.SpecStatePassed,
			ReportEntries: types.ReportEntries{{Name: ScenarioEntry, Value: types.WrapEntryValue(run)}}}}}
	rep := BuildReport(gr, reports.Environment{EdgeproofVersion: "dev"}, "/art")
	if m := rep.Scenarios[0].Mutant; m == nil || !m.Caught {
		t.Fatalf("mutant record = %+v, want the caught run's", m)
	}
	if !rep.Passed() {
		t.Errorf("a suite whose only run caught its defect did not pass: %+v", rep.Totals())
	}
}
