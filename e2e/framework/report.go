package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/reports"
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
	env := reports.Environment{EdgeproofVersion: "dev", Provider: "kind"}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		env.EdgeproofVersion = bi.Main.Version
	}
	for _, cp := range host.Detect(ctx).Capabilities {
		env.HostCapabilities = append(env.HostCapabilities, reports.Capability{Name: cp.Name, Value: cp.Value, Meaning: cp.Meaning})
	}
	cs, err := c.Client()
	if err != nil {
		return env
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return env
	}
	for _, n := range nodes.Items {
		env.KubernetesVersion = n.Status.NodeInfo.KubeletVersion
		env.Nodes = append(env.Nodes, reports.Node{
			Name: n.Name, Arch: n.Status.NodeInfo.Architecture, Kernel: n.Status.NodeInfo.KernelVersion,
			ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion, Roles: roles(&n), Zone: n.Labels[clusters.LabelZone],
		})
	}
	return env
}

func roles(n *corev1.Node) []string {
	var out []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok {
			out = append(out, r)
		}
	}
	return out
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
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		sc := reports.Scenario{Name: s.FullText(), Labels: s.Labels(), Started: s.StartTime, Duration: reports.Duration(s.RunTime)}
		switch {
		case s.State.Is(types.SpecStatePassed):
			sc.State = reports.StatePassed
		case s.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			sc.State = reports.StateSkipped
			sc.SkipReason = s.Failure.Message
			if sc.SkipReason == "" {
				sc.SkipReason = "not selected by the label filter"
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
			fmt.Fprintf(tw, "%s\t%s\t%.1f%s\t%.1f%s\t%+.1f%s\t%s\n", s.Name, v.Objective, v.Value, v.Unit, v.Budget, v.Unit, v.Margin, v.Unit, verdict)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "reports: %s\n", strings.Join([]string{
		filepath.Join(dir, reports.JUnitFile), filepath.Join(dir, reports.JSONFile),
		filepath.Join(dir, reports.SummaryFile), filepath.Join(dir, reports.HTMLFile)}, ", "))
}
