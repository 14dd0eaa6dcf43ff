package native

import (
	"context"
	"fmt"
	"strings"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Preflight implements chaos.Preflighter: it checks, without injecting
// anything, that the fault's kind is one this backend does, that its
// target nodes exist and are running, and that the tools it needs work on
// them (systemd units, iptables, tc, sch_netem, systemd-run). Pod targets
// are not resolved here, since the workload may not be deployed yet.
func (b *Backend) Preflight(ctx context.Context, f scenarios.Fault) (bool, string) {
	if chaos.WorkloadKind(f) {
		return false, (&chaos.WorkloadFaultError{Kind: f.Kind}).Error()
	}
	if reason, ok := unsupported(f); !ok {
		return false, reason
	}
	if f.Kind == scenarios.PodKill || f.Kind == scenarios.ContainerKill {
		return true, "" // through the API and crictl, on whatever pods match then
	}
	if f.Target == nil {
		return false, fmt.Sprintf("%s needs a node target", f.Kind)
	}
	// Every node the target may pick, whatever its mode picks later.
	all := *f.Target
	all.Mode, all.Value = "", ""
	names, err := b.Resolver.Nodes(ctx, f.Kind, &all)
	if err != nil {
		return false, err.Error()
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return false, err.Error()
	}
	for _, n := range nodes {
		state, err := n.State(ctx)
		if err != nil {
			return false, err.Error()
		}
		if state != "running" {
			return false, fmt.Sprintf("node %s is %s, not running: heal it first (edgeproof recover)", n.Name(), state)
		}
	}
	switch f.Kind {
	case scenarios.KubeletStop, scenarios.RuntimeStop:
		return check(ctx, nodes, unitLoaded(unitOf(f.Kind)))
	case scenarios.NodeIsolate, scenarios.ZonePartition, scenarios.UplinkFlap:
		if _, err := b.peers(ctx, f.Kind, names); err != nil {
			return false, err.Error()
		}
		return check(ctx, nodes, tool("iptables", "-V"), tool("iptables-restore", "--version"))
	case scenarios.NodeLinkDown:
		for _, n := range nodes {
			if !n.LinkControl() {
				return false, fmt.Sprintf("node %s: its provider cannot take a node's link down", n.Name())
			}
		}
	case scenarios.UplinkShape:
		return b.preflightShape(ctx, f, names, nodes)
	case scenarios.Stress:
		if f.Stress == nil {
			return false, "stress needs stress parameters"
		}
		return check(ctx, nodes, tool("systemd-run", "--version"))
	}
	return true, "" // lifecycle kinds need only running nodes
}

func (b *Backend) preflightShape(ctx context.Context, f scenarios.Fault, names []string, nodes []*clusters.Node) (bool, string) {
	u := f.Uplink
	if needsNetem(u) {
		for _, n := range nodes {
			ok, err := b.netemWorks(ctx, n)
			if err != nil {
				return false, fmt.Sprintf("cannot tell whether sch_netem works on node %s: %v", n.Name(), err)
			}
			if !ok {
				return false, netemReason(u) + " (probed on node " + n.Name() + ")"
			}
		}
	}
	plan, err := planShape(u, true)
	if err != nil {
		return false, err.Error()
	}
	checks := []nodeCheck{tool("tc", "-V")}
	if plan.loss > 0 {
		if _, err := b.peers(ctx, f.Kind, names); err != nil {
			return false, err.Error()
		}
		checks = append(checks, tool("iptables", "-V"), tool("iptables-restore", "--version"))
	}
	return check(ctx, nodes, checks...)
}

// nodeCheck returns "" when a node passes, else why not.
type nodeCheck func(ctx context.Context, n *clusters.Node) string

func check(ctx context.Context, nodes []*clusters.Node, checks ...nodeCheck) (bool, string) {
	for _, n := range nodes {
		for _, c := range checks {
			if reason := c(ctx, n); reason != "" {
				return false, reason
			}
		}
	}
	return true, ""
}

func tool(args ...string) nodeCheck {
	return func(ctx context.Context, n *clusters.Node) string {
		if _, err := n.Exec(ctx, args...); err != nil {
			return fmt.Sprintf("%s does not work on node %s: %v", args[0], n.Name(), err)
		}
		return ""
	}
}

func unitLoaded(unit string) nodeCheck {
	return func(ctx context.Context, n *clusters.Node) string {
		out, err := n.Exec(ctx, "systemctl", "show", "-p", "LoadState", "--value", unit)
		if err != nil {
			return fmt.Sprintf("cannot query unit %s on node %s: %v", unit, n.Name(), err)
		}
		if s := strings.TrimSpace(string(out)); s != "loaded" {
			return fmt.Sprintf("node %s has no %s unit (LoadState=%s)", n.Name(), unit, s)
		}
		return ""
	}
}

// CheckNetem probes sch_netem on every node f's target may pick, for
// backends (Chaos Mesh's chaos-daemon) that need netem for any delay or
// loss.
func (b *Backend) CheckNetem(ctx context.Context, f scenarios.Fault) (bool, string) {
	if f.Target == nil || f.Target.Pods != nil {
		return false, fmt.Sprintf("%s needs a node target", f.Kind)
	}
	all := *f.Target
	all.Mode, all.Value = "", ""
	names, err := b.Resolver.Nodes(ctx, f.Kind, &all)
	if err != nil {
		return false, err.Error()
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return false, err.Error()
	}
	for _, n := range nodes {
		ok, err := b.netemWorks(ctx, n)
		if err != nil {
			return false, fmt.Sprintf("cannot tell whether sch_netem works on node %s: %v", n.Name(), err)
		}
		if !ok {
			return false, "network delay and loss need sch_netem, absent on this host (probed on node " + n.Name() + ")"
		}
	}
	return true, ""
}
