package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/reports/fingerprint"
)

// Report entry names the converter reads.
const (
	VerdictEntry  = "edgeproof-verdict"
	ArtifactEntry = "artifacts"
)

// RecordDurationVerdict judges a measured duration against its budget
// (measured <= budget passes), records it on the running spec and returns
// it, so the spec can assert on it and the report can show it.
func RecordDurationVerdict(objective, metric string, measured, budget time.Duration) reports.Verdict {
	v := reports.Verdict{
		Objective: objective, Kind: "duration", Metric: metric, Unit: "s",
		Value: measured.Seconds(), Budget: budget.Seconds(), Margin: (budget - measured).Seconds(),
		Pass: measured <= budget,
	}
	ginkgo.AddReportEntry(VerdictEntry, v)
	return v
}

// Environment fingerprints the cluster and host a run used. Call it while
// the cluster exists; the report is written after it is deleted.
func Environment(ctx context.Context, c *clusters.Cluster) reports.Environment {
	return fingerprint.Of(ctx, c)
}

// BuildReport turns Ginkgo's report and the recorded verdicts into the
// report model: one scenario per spec.
func BuildReport(r types.Report, env reports.Environment, artifacts string) *reports.Report {
	out := &reports.Report{
		SchemaVersion: reports.SchemaVersion,
		Suite: reports.Suite{Name: r.SuiteDescription, Started: r.StartTime, Finished: r.EndTime,
			Duration: reports.Duration(r.RunTime)},
		Environment: env,
	}
	// Ginkgo gives no reason for a spec it did not run: it was filtered
	// out, or the suite was interrupted or timed out before reaching it.
	// Filtered out is not part of the run and not counted; cut short is a
	// skip with the suite's reason.
	ended := len(r.SpecialSuiteFailureReasons) > 0
	notRun := "not run: filtered out, or the suite ended before it (" + strings.Join(r.SpecialSuiteFailureReasons, "; ") + ")"
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		if s.State.Is(types.SpecStateSkipped) && s.Failure.Message == "" && !ended {
			continue // not selected by the label filter or focus
		}
		sc := reports.Scenario{Name: s.FullText(), Labels: s.Labels(), Started: s.StartTime, Duration: reports.Duration(s.RunTime)}
		switch {
		case s.State.Is(types.SpecStatePassed):
			sc.State = reports.StatePassed
		case s.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			sc.State = reports.StateSkipped
			sc.SkipReason = s.Failure.Message
			if sc.SkipReason == "" {
				sc.SkipReason = notRun
			}
		default:
			sc.State = reports.StateFailed
			sc.Failure = s.Failure.Message
		}
		for _, e := range s.ReportEntries {
			switch e.Name {
			case VerdictEntry:
				var v reports.Verdict
				if raw, ok := e.Value.GetRawValue().(reports.Verdict); ok {
					v = raw
				} else if json.Unmarshal([]byte(e.Value.AsJSON), &v) != nil {
					continue
				}
				sc.Verdicts = append(sc.Verdicts, v)
			case ScenarioEntry:
				var run reports.Scenario
				if raw, ok := e.Value.GetRawValue().(reports.Scenario); ok {
					run = raw
				} else if json.Unmarshal([]byte(e.Value.AsJSON), &run) != nil {
					continue
				}
				sc.File, sc.FileSHA256 = run.File, run.FileSHA256
				sc.FaultEvents, sc.Series, sc.Mutant = run.FaultEvents, run.Series, run.Mutant
				sc.Verdicts = append(sc.Verdicts, run.Verdicts...)
				if sc.State == reports.StateSkipped && run.SkipReason != "" {
					sc.SkipReason = run.SkipReason
				}
			case ArtifactEntry:
				if rel, err := filepath.Rel(artifacts, e.Value.String()); err == nil {
					sc.Artifacts = append(sc.Artifacts, reports.Artifact{Name: "failure dump", Path: rel})
				}
			}
		}
		out.Scenarios = append(out.Scenarios, sc)
	}
	return out
}

// PrintVerdicts writes the end-of-run table: every verdict with value,
// budget and margin, and where the reports are.
func PrintVerdicts(w io.Writer, rep *reports.Report, dir string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPEC\tOBJECTIVE\tVALUE\tBUDGET\tMARGIN\tVERDICT")
	for _, s := range rep.Scenarios {
		if len(s.Verdicts) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\n", s.Name, s.State)
		}
		for _, v := range s.Verdicts {
			verdict := "pass"
			if !v.Pass {
				verdict = "FAIL"
			}
			value, budget, margin := v.Quantities()
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, v.Objective, value, budget, margin, verdict)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "reports: %s\n", strings.Join([]string{
		filepath.Join(dir, reports.JUnitFile), filepath.Join(dir, reports.JSONFile),
		filepath.Join(dir, reports.SummaryFile), filepath.Join(dir, reports.HTMLFile)}, ", "))
}
