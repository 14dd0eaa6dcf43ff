package native

import (
	"context"
	"errors"

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
	if f.Target == nil || f.Target.Pods != nil || chaos.WorkloadKind(f) {
		return FaultPlan{}, nil
	}
	all := *f.Target
	all.Mode, all.Value = "", ""
	names, err := b.Resolver.Nodes(ctx, f.Kind, &all)
	if errors.Is(err, chaos.ErrNoMatch) {
		return FaultPlan{Skip: "the cluster has no node for it: " + err.Error()}, nil
	}
	if err != nil {
		return FaultPlan{}, err
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return FaultPlan{}, err
	}
	p := FaultPlan{Candidates: names, Refused: guard(nodes)}
	if reason, ok := unsupported(f); !ok {
		p.Skip = reason
		return p, nil
	}
	p.Skip = lacks(nodes, opOf(f.Kind))
	switch {
	case p.Skip != "":
	case f.Kind == scenarios.KubeletStop || f.Kind == scenarios.RuntimeStop:
		p.Skip = lacks(nodes, clusters.OpCutOff)
	// Lost packets on the way to the API server are lost heals too, so
	// uplink loss counts as a cut.
	case f.Kind == scenarios.NodeIsolate || f.Kind == scenarios.ZonePartition || f.Kind == scenarios.UplinkFlap ||
		(f.Kind == scenarios.UplinkShape && f.Uplink != nil && f.Uplink.Loss != nil):
		peers, err := b.peers(ctx, f.Kind, names)
		var topo *TopologyError
		if errors.As(err, &topo) {
			p.Skip = topo.Reason
			return p, nil
		}
		if err != nil {
			return FaultPlan{}, err
		}
		p.Skip = lacks(nodes, cutOff(peers))
	}
	return p, nil
}
