package native

import (
	"context"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// lifecycle injects node-power-loss (Kill), node-stop (Stop), node-pause
// (Pause) and node-reboot (Node.Reboot: a reset where the node has a
// reset line, else Stop then Start at once). Recovery brings each
// node back to running; a reboot is journaled like a stop, so a crash
// between its two halves still leaves a record that starts the node.
func (b *Backend) lifecycle(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	op := journal.OpStartNode
	if f.Kind == scenarios.NodePause {
		op = journal.OpResumeNode
	}
	actions := make([]journal.Action, len(names))
	for i, n := range names {
		actions[i] = journal.Action{Op: op, Node: n}
		if f.Kind == scenarios.NodePowerLoss && nodes[i].PowerSwitched() {
			actions[i].Op = journal.OpPowerOn
		}
	}
	in, err := b.begin(ctx, f, "", names, actions)
	if err != nil {
		return nil, err
	}
	err = each(ctx, nodes, func(ctx context.Context, n *clusters.Node) error {
		switch f.Kind {
		case scenarios.NodePowerLoss:
			// A node whose power is switched from outside cannot heal
			// itself: its dead-man runs here, detached from this process.
			if d := f.Duration.Std(); d > 0 {
				if err := n.ArmPowerOn(ctx, time.Now().Add(d+DeadManMargin)); err != nil {
					return err
				}
			}
			return n.Kill(ctx)
		case scenarios.NodeStop:
			return n.Stop(ctx)
		case scenarios.NodePause:
			return n.Pause(ctx)
		default: // NodeReboot
			return b.rebootChecked(ctx, f, n)
		}
	})
	rec, err := in.finish(ctx, err, f.Kind == scenarios.NodeReboot)
	if err != nil || f.Kind == scenarios.NodeReboot || f.Kind == scenarios.NodePause {
		return rec, err
	}
	// Power loss and stop end by starting the node: a network fault still
	// active on it must hold on the new network namespace too.
	return func(ctx context.Context) error {
		if err := rec(ctx); err != nil {
			return err
		}
		for _, n := range nodes {
			if err := b.reapply(ctx, n); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// linkDown injects node-link-down: each target's link goes down (see
// clusters.Linker) until recovery brings it up. It is tracked like the
// network faults, so a node restarted meanwhile (which comes up with its
// link up) is cut again.
func (b *Backend) linkDown(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	actions := make([]journal.Action, len(names))
	for i, n := range names {
		actions[i] = journal.Action{Op: journal.OpLinkUp, Node: n}
	}
	id := b.Journal.NewID()
	in, err := b.begin(ctx, f, id, names, actions)
	if err != nil {
		return nil, err
	}
	apply := func(ctx context.Context, n *clusters.Node) error { return n.SetLink(ctx, false) }
	err = each(ctx, nodes, apply)
	rec, err := in.finish(ctx, err, false)
	return b.tracked(id, nodes, apply, rec, err)
}
