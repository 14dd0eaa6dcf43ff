package native

import (
	"context"
	"errors"
	"slices"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// FaultPlan is what a dry run can say of a node fault without touching a
// node: the nodes it may pick, and whether it would be skipped or refused
// there. Tool checks that need a command on the node are left to the run.
type FaultPlan struct {
	// Candidates are the nodes the target may pick (its mode applied when
	// the fault fires).
	Candidates []string
	// Skip is why the fault would be skipped on these nodes, or "".
	Skip string
	// Refused is why the fault may not target these nodes (not opted
	// in), or nil.
	Refused error
}

// Plan resolves f's node target to its candidates and checks, from the
// API and the nodes' drivers alone, what Preflight would skip or refuse.
// A pod fault has no candidates: its pods exist only once deployed.
func (b *Backend) Plan(ctx context.Context, f scenarios.Fault) (FaultPlan, error) {
	p, _, err := b.plan(ctx, f)
	return p, err
}

// plan is Plan, also returning the candidates' nodes for Preflight's
// checks on them.
func (b *Backend) plan(ctx context.Context, f scenarios.Fault) (FaultPlan, []*clusters.Node, error) {
	if f.Target == nil || f.Target.Pods != nil || chaos.WorkloadKind(f) {
		return FaultPlan{}, nil, nil
	}
	// What the matched nodes cannot do is a skip whoever owns them; which
	// of them may be touched is asked after, so that a fault the cluster
	// cannot perform is skipped, not refused.
	names, err := b.Resolver.Matching(ctx, f.Kind, f.Target)
	if errors.Is(err, chaos.ErrNoMatch) {
		return FaultPlan{Skip: "the cluster has no node for it: " + err.Error()}, nil, nil
	}
	if err != nil {
		return FaultPlan{}, nil, err
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return FaultPlan{}, nil, err
	}
	if why, err := b.skipReason(ctx, f, names, nodes); err != nil || why != "" {
		return FaultPlan{Candidates: names, Skip: why}, nil, err
	}
	all := *f.Target
	all.Mode, all.Value = "", ""
	eligible, err := b.Resolver.Nodes(ctx, f.Kind, &all)
	if errors.Is(err, chaos.ErrNotEligible) {
		return FaultPlan{Candidates: names, Refused: err}, nil, nil
	}
	if err != nil {
		return FaultPlan{}, nil, err
	}
	// The eligible nodes are among those just looked up.
	nodes = slices.DeleteFunc(nodes, func(n *clusters.Node) bool { return !slices.Contains(eligible, n.Name()) })
	return FaultPlan{Candidates: eligible, Refused: guard(f, nodes)}, nodes, nil
}

// skipReason says why f cannot be performed on the nodes it matches, or
// "".
func (b *Backend) skipReason(ctx context.Context, f scenarios.Fault, names []string, nodes []*clusters.Node) (string, error) {
	if reason, ok := unsupported(f); !ok {
		return reason, nil
	}
	if why := lacks(nodes, opOf(f.Kind)); why != "" {
		return why, nil
	}
	switch {
	case f.Kind == scenarios.NodePowerLoss && slices.ContainsFunc(nodes, (*clusters.Node).PowerSwitched):
		// Shown in force from the API too (proof.Unreachable).
		return tooShort(f), nil
	case f.Kind == scenarios.KubeletStop || f.Kind == scenarios.RuntimeStop:
		return cutReason(b.Cluster, f, nodes, Peers{}, clusters.OpCutOff), nil
	// Lost packets on the way to the API server are lost heals too, so
	// uplink loss counts as a cut.
	case f.Kind == scenarios.NodeIsolate || f.Kind == scenarios.ZonePartition || f.Kind == scenarios.UplinkFlap ||
		(f.Kind == scenarios.UplinkShape && f.Uplink != nil && f.Uplink.Loss != nil):
		peers, err := b.peers(ctx, f.Kind, names)
		if topo, ok := errors.AsType[*TopologyError](err); ok {
			return topo.Reason, nil
		}
		if err != nil {
			return "", err
		}
		return cutReason(b.Cluster, f, nodes, peers, cutOff(peers)), nil
	}
	return "", nil
}

// cutReason is why a fault that may cut its nodes off cannot run on them:
// a node lacks op, or the nodes are unattended and the fault is too short
// to be shown in force from the API.
func cutReason(c *clusters.Cluster, f scenarios.Fault, nodes []*clusters.Node, peers Peers, op clusters.Op) string {
	if why := lacks(nodes, op); why != "" {
		return why
	}
	if cutsOff(c, f.Kind, peers) {
		return tooShort(f)
	}
	return ""
}
