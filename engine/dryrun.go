package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/apps"
	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/existing"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
)

// ErrDryRunSkip is returned by DryRun when the run would skip the scenario.
var ErrDryRunSkip = errors.New("the run would skip the scenario")

// heals says how each fault kind is undone, for the dry run's plan.
var heals = map[scenarios.FaultKind]string{
	scenarios.NodePowerLoss: "the node is powered on again",
	scenarios.NodeStop:      "the node is started again",
	scenarios.NodePause:     "the node is thawed",
	scenarios.NodeReboot:    "nothing to undo: the node restarts by itself",
	scenarios.KubeletStop:   "kubelet is started again",
	scenarios.RuntimeStop:   "the container runtime is started again",
	scenarios.NodeIsolate:   "the DROP rules tagged with the fault's id are deleted",
	scenarios.ZonePartition: "the DROP rules tagged with the fault's id are deleted",
	scenarios.NodeLinkDown:  "the link is brought back up",
	scenarios.UplinkShape:   "the root qdisc and the loss rules tagged with the fault's id are deleted",
	scenarios.UplinkFlap:    "the DROP rules tagged with the fault's id are deleted",
	scenarios.PodKill:       "nothing to undo: the pods' controller replaces them",
	scenarios.ContainerKill: "nothing to undo: the kubelet restarts the container",
	scenarios.PodFailure:    "the Chaos Mesh experiment is deleted",
	scenarios.Stress:        "the stress unit (or experiment) is stopped",
	scenarios.DeviceStorm:   "nothing to undo: devices reconnect",
	scenarios.DeviceLoad:    "the simulator returns to its normal rate",
	scenarios.RollingUpdate: "nothing to undo: the rollout completes",
}

// selfHealed adds, for a fault that may cut an unattended node off from
// the API server, who heals it: the node itself, by a timer.
func selfHealed(c *clusters.Cluster, k scenarios.FaultKind) string {
	if !c.Unattended() {
		return ""
	}
	switch k {
	case scenarios.KubeletStop, scenarios.RuntimeStop:
		return ", by a timer on the node at the planned end (the node cannot be reached while it is in force)"
	case scenarios.NodeIsolate, scenarios.ZonePartition, scenarios.UplinkFlap:
		return ", by a timer on the node at the planned end when the cut includes the control plane (the node cannot be reached while it is in force)"
	case scenarios.NodePowerLoss:
		return ", by the on command of the node's power hook (fleet file); a shell left on this machine runs it at the planned end plus 15 s should this run die"
	}
	return ""
}

// DryRun writes what Run would do with sc on o.Cluster, and changes
// nothing: the nodes and whether faults may touch them, what would be
// deployed, each fault with the nodes it may pick, how it heals and
// whether it would be skipped or refused, and the objectives. Checks that
// need a command on a node are left to the run. It returns an error when
// the run would be refused, ErrDryRunSkip when it would be skipped.
func DryRun(ctx context.Context, sc *scenarios.Scenario, o Options) error {
	sc.Default()
	w := o.Out
	if w == nil {
		w = io.Discard
	}
	fmt.Fprintf(w, "Dry run of scenario %s on cluster %s (%s): nothing is created or changed.\n", sc.Metadata.Name, o.Cluster.Name, o.Cluster.Kind())
	cs, err := o.Cluster.Client()
	if err != nil {
		return err
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	planNodes(w, list.Items, o.Cluster)
	if err := planWorkload(ctx, w, sc, o.Cluster); err != nil {
		return err
	}
	b := native.New(o.Cluster, cs, nil, &chaos.Resolver{Kube: cs, Eligible: o.Cluster.GuardNode})
	skip, refused, err := planFaults(ctx, w, sc, b)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nObjectives:")
	for _, ob := range sc.Spec.Objectives {
		fmt.Fprintf(w, "  %s: %s/%s, budget %s\n", ob.Name, ob.Kind, ob.Metric, ob.Budget)
	}
	switch {
	case skip != "":
		return fmt.Errorf("%w: %s", ErrDryRunSkip, skip)
	case refused != nil:
		return refused
	}
	fmt.Fprintln(w, "\nThe run would go ahead (node tools are checked when it starts).")
	return nil
}

// planNodes lists the nodes and whether faults may touch them, from the
// Node objects alone (the agent is not installed for a dry run).
func planNodes(w io.Writer, items []corev1.Node, c *clusters.Cluster) {
	fmt.Fprintf(w, "\nNodes (%d):\n", len(items))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, n := range items {
		faults := "faults allowed"
		if err := c.GuardNode(&n); err != nil {
			faults = "faults refused"
		}
		fmt.Fprintf(tw, "  %s\t%s\tzone %s\t%s\t%s\n", n.Name, orDash(n.Labels[clusters.LabelTier]), orDash(n.Labels[clusters.LabelZone]),
			n.Labels[corev1.LabelArchStable], faults)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// planWorkload renders the application (read-only: the API's discovery
// checks its kinds) and lists what would be deployed.
func planWorkload(ctx context.Context, w io.Writer, sc *scenarios.Scenario, c *clusters.Cluster) error {
	fmt.Fprintln(w, "\nDeploys into a new namespace, deleted after the run:")
	var fixtures []string
	for _, f := range []scenarios.Fixture{scenarios.FixtureBroker, scenarios.FixtureGateway, scenarios.FixtureDeviceSim, scenarios.FixtureSink} {
		if sc.Spec.Workload.Deployed(f) {
			fixtures = append(fixtures, string(f))
		}
	}
	if len(sc.Spec.Probes) > 0 {
		fixtures = append(fixtures, fmt.Sprintf("prober (probes: %d)", len(sc.Spec.Probes)))
	}
	if len(fixtures) > 0 {
		fmt.Fprintf(w, "  edgeproof fixtures: %s\n", strings.Join(fixtures, ", "))
	}
	if len(apps.FromScenario(sc)) > 0 {
		prepared, err := renderApp(ctx, sc, c, "dry-run")
		if err != nil {
			return err
		}
		names := make([]string, len(prepared))
		for i, o := range prepared {
			names[i] = o.GetKind() + " " + o.GetName()
			if h := o.GetAnnotations()[workload.AnnotationHook]; h != "" {
				names[i] += " (" + h + " hook)"
			}
		}
		fmt.Fprintf(w, "  application (%d objects): %s\n", len(prepared), strings.Join(names, ", "))
	}
	for _, im := range apps.ImagesFromScenario(sc) {
		how := "loaded onto every node from the local Docker engine"
		switch {
		case im.FromArchive() && c.Kind() == existing.Kind:
			how = "imported into every node through the node agent from " + im.ArchiveNames()
		case im.FromArchive():
			how = "loaded onto every node from " + im.ArchiveNames()
		case leftToNodes(c, im):
			how = "left to the nodes to pull (or already on them)"
		}
		fmt.Fprintf(w, "  image %s: %s\n", im.Name, how)
	}
	if c.Kind() == existing.Kind {
		fmt.Fprintf(w, "  node agent: DaemonSet in namespace %s (privileged, host PID and network), removed after the run\n", existing.Namespace)
	}
	return nil
}

// planFaults lists the faults in time order. It returns what the first
// fault that would not go ahead would do: a skip reason or a refusal (a
// fault both skipped and refused is skipped, as preflight decides).
func planFaults(ctx context.Context, w io.Writer, sc *scenarios.Scenario, b *native.Backend) (string, error, error) {
	faults := slices.Clone(sc.Spec.Faults)
	slices.SortStableFunc(faults, func(a, b scenarios.Fault) int { return int(a.At - b.At) })
	fmt.Fprintf(w, "\nFaults (%d, over %s):\n", len(faults), sc.Spec.Duration)
	var skip string
	var refused error
	for _, f := range faults {
		when := "at " + f.At.String()
		if f.Duration > 0 {
			when += " for " + f.Duration.String()
		}
		if f.Repeat != nil {
			when += fmt.Sprintf(", %d times every %s", f.Repeat.Count, f.Repeat.Period)
		}
		fmt.Fprintf(w, "  %s (%s) %s\n", f.Name, f.Kind, when)
		fmt.Fprintf(w, "    target: %s\n", describeTarget(f))
		p, err := b.Plan(ctx, f)
		if err != nil {
			return "", nil, fmt.Errorf("fault %s: %w", f.Name, err)
		}
		if len(p.Candidates) > 0 {
			fmt.Fprintf(w, "    may pick: %s\n", strings.Join(p.Candidates, ", "))
		}
		fmt.Fprintf(w, "    heals: %s%s\n", heals[f.Kind], selfHealed(b.Cluster, f.Kind))
		decided := skip != "" || refused != nil
		switch {
		case p.Skip != "":
			fmt.Fprintf(w, "    WOULD SKIP: %s\n", p.Skip)
			if !decided {
				skip = fmt.Sprintf("fault %s (%s): %s", f.Name, f.Kind, p.Skip)
			}
		case p.Refused != nil:
			fmt.Fprintf(w, "    REFUSED: %v\n", p.Refused)
			if !decided {
				refused = fmt.Errorf("fault %s (%s): %w", f.Name, f.Kind, p.Refused)
			}
		}
	}
	return skip, refused, nil
}

// describeTarget says what a fault's target selects, before resolution.
func describeTarget(f scenarios.Fault) string {
	t := f.Target
	switch {
	case t == nil:
		return "the workload's own components"
	case t.Pods != nil:
		sel := t.Pods.Selector
		parts := []string{}
		for k, v := range sel.LabelSelectors {
			parts = append(parts, k+"="+v)
		}
		slices.Sort(parts)
		return fmt.Sprintf("pods %s (mode %s), picked when the fault fires", strings.Join(parts, ","), orDash(string(t.Pods.Mode)))
	case len(t.Nodes) > 0:
		return "nodes " + strings.Join(t.Nodes, ", ")
	case t.Zone != "":
		return fmt.Sprintf("zone %s (mode %s)", t.Zone, orDash(string(t.Mode)))
	default:
		parts := []string{}
		for k, v := range t.NodeSelector {
			parts = append(parts, k+"="+v)
		}
		slices.Sort(parts)
		return fmt.Sprintf("nodes labelled %s (mode %s)", strings.Join(parts, ","), orDash(string(t.Mode)))
	}
}
