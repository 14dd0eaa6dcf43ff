package native

import (
	"context"
	"fmt"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Preflight implements chaos.Preflighter: it checks, without injecting
// anything, that the fault's kind is one this backend does, that its
// target nodes exist and are running, and that the tools it needs work on
// them (systemd units, iptables, tc, sch_netem, systemd-run). Pod targets
// are not resolved here, since the workload may not be deployed yet.
//
// Only a missing capability is a reason (the scenario is skipped); a check
// that could not be made (the API, a node that does not answer or is not
// running) is an error, which fails the scenario.
func (b *Backend) Preflight(ctx context.Context, f scenarios.Fault) (bool, string, error) {
	if chaos.WorkloadKind(f) {
		return false, "", &chaos.WorkloadFaultError{Kind: f.Kind}
	}
	if reason, ok := unsupported(f); !ok {
		return false, reason, nil
	}
	if f.Kind == scenarios.PodKill || f.Kind == scenarios.ContainerKill {
		return true, "", nil // through the API and crictl, on whatever pods match then
	}
	if f.Target == nil {
		return false, "", fmt.Errorf("fault %s: %s needs a node target", f.Name, f.Kind)
	}
	// What the nodes' drivers cannot do, or may not do, is known without
	// touching them (a dry run reports the same); the topology of network
	// cuts is judged there too.
	plan, nodes, err := b.plan(ctx, f)
	if err != nil {
		return false, "", err
	}
	if plan.Skip != "" {
		return false, plan.Skip, nil
	}
	if plan.Refused != nil {
		return false, "", plan.Refused
	}
	if err := running(ctx, nodes); err != nil {
		return false, "", err
	}
	switch f.Kind {
	case scenarios.KubeletStop, scenarios.RuntimeStop:
		return check(ctx, nodes, unitFound(f.Kind))
	case scenarios.NodeIsolate, scenarios.ZonePartition, scenarios.UplinkFlap:
		return check(ctx, nodes, tool("iptables", "-V"), tool("iptables-restore", "--version"))
	case scenarios.NodeLinkDown:
		for _, n := range nodes {
			if !n.LinkControl() {
				return false, fmt.Sprintf("node %s: its provider cannot take a node's link down", n.Name()), nil
			}
		}
	case scenarios.UplinkShape:
		return b.preflightShape(ctx, f, nodes)
	case scenarios.Stress:
		if f.Stress == nil {
			return false, "", fmt.Errorf("fault %s: stress needs stress parameters", f.Name)
		}
		return check(ctx, nodes, tool("systemd-run", "--version"))
	}
	if f.Kind == scenarios.NodePowerLoss {
		// A power switch that cannot reach a node fails the run here,
		// before anything is broken.
		for _, n := range nodes {
			if err := n.CheckPower(ctx); err != nil {
				return false, "", err
			}
		}
	}
	return true, "", nil // lifecycle kinds need only running nodes
}

// opOf is the node operation a lifecycle fault kind needs ("" for the
// others, which are made of commands run on the node).
func opOf(k scenarios.FaultKind) clusters.Op {
	switch k {
	case scenarios.NodePowerLoss:
		return clusters.OpPower
	case scenarios.NodeStop:
		return clusters.OpStop
	case scenarios.NodePause:
		return clusters.OpPause
	case scenarios.NodeReboot:
		return clusters.OpReboot
	}
	return ""
}

// cutOff is OpCutOff when a network cut separates its targets from the
// control plane, else "" (nothing more is needed than commands).
func cutOff(p Peers) clusters.Op {
	if p.ControlPlane {
		return clusters.OpCutOff
	}
	return ""
}

// lacks names the first node that cannot do op, with why ("" when all
// can, or op is "").
func lacks(nodes []*clusters.Node, op clusters.Op) string {
	if op == "" {
		return ""
	}
	for _, n := range nodes {
		if why := n.Lacks(op); why != "" {
			return fmt.Sprintf("node %s: %s", n.Name(), why)
		}
	}
	return ""
}

// running checks that each node is running and answers a command, so
// that a tool check failing later means the tool, not the node.
func running(ctx context.Context, nodes []*clusters.Node) error {
	for _, n := range nodes {
		state, err := n.State(ctx)
		if err != nil {
			return err
		}
		if state != "running" {
			return fmt.Errorf("node %s is %s, not running: heal it first (edgeproof recover)", n.Name(), state)
		}
		if _, err := n.Exec(ctx, "true"); err != nil {
			return fmt.Errorf("node %s does not run commands: %w", n.Name(), err)
		}
	}
	return nil
}

func (b *Backend) preflightShape(ctx context.Context, f scenarios.Fault, nodes []*clusters.Node) (bool, string, error) {
	u := f.Uplink
	if needsNetem(u) {
		for _, n := range nodes {
			ok, err := b.netemWorks(ctx, n)
			if err != nil {
				return false, "", fmt.Errorf("cannot tell whether sch_netem works on node %s: %w", n.Name(), err)
			}
			if !ok {
				return false, netemReason(u) + " (probed on node " + n.Name() + ")", nil
			}
		}
	}
	plan, err := planShape(u, true)
	if err != nil {
		return false, "", fmt.Errorf("fault %s: %w", f.Name, err)
	}
	checks := []nodeCheck{tool("tc", "-V")}
	if plan.loss > 0 {
		checks = append(checks, tool("iptables", "-V"), tool("iptables-restore", "--version"))
	}
	return check(ctx, nodes, checks...)
}

// nodeCheck returns "" when a node has the capability, else why not; the
// error is for a check that could not be made.
type nodeCheck func(ctx context.Context, n *clusters.Node) (string, error)

func check(ctx context.Context, nodes []*clusters.Node, checks ...nodeCheck) (bool, string, error) {
	for _, n := range nodes {
		for _, c := range checks {
			reason, err := c(ctx, n)
			if err != nil || reason != "" {
				return false, reason, err
			}
		}
	}
	return true, "", nil
}

// tool checks that a command runs on a node; the node was shown to run
// commands (running), so a failure means the tool is missing or
// broken there.
func tool(args ...string) nodeCheck {
	return func(ctx context.Context, n *clusters.Node) (string, error) {
		if _, err := n.Exec(ctx, args...); err != nil {
			return fmt.Sprintf("%s does not work on node %s: %v", args[0], n.Name(), err), nil
		}
		return "", nil
	}
}

// unitFound checks that a node runs the unit kubelet-stop or runtime-stop
// stops, under any of the names distributions give it.
func unitFound(k scenarios.FaultKind) nodeCheck {
	return func(ctx context.Context, n *clusters.Node) (string, error) {
		u, err := findUnit(ctx, n, k)
		if err != nil {
			return "", fmt.Errorf("node %s: %w", n.Name(), err)
		}
		if u == "" {
			return fmt.Sprintf("node %s has %s", n.Name(), noUnit(k)), nil
		}
		return "", nil
	}
}

// CheckNetem probes sch_netem on every node f's target may pick, for
// backends (Chaos Mesh's chaos-daemon) that need netem for any delay or
// loss.
func (b *Backend) CheckNetem(ctx context.Context, f scenarios.Fault) (bool, string, error) {
	if f.Target == nil || f.Target.Pods != nil {
		return false, "", fmt.Errorf("fault %s: %s needs a node target", f.Name, f.Kind)
	}
	all := *f.Target
	all.Mode, all.Value = "", ""
	names, err := b.Resolver.Nodes(ctx, f.Kind, &all)
	if err != nil {
		return false, "", err
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return false, "", err
	}
	for _, n := range nodes {
		ok, err := b.netemWorks(ctx, n)
		if err != nil {
			return false, "", fmt.Errorf("cannot tell whether sch_netem works on node %s: %w", n.Name(), err)
		}
		if !ok {
			return false, "network delay and loss need sch_netem, absent on this host (probed on node " + n.Name() + ")", nil
		}
	}
	return true, "", nil
}
