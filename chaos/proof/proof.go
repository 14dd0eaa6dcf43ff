// Package proof shows, from outside the fault's own code, that an injected
// fault is in force: for every step the journal says would undo it, the
// thing that step undoes must be there now (a node not running, a unit
// inactive, rules with the injection's comment listed, an edgeproof root
// qdisc, a link without carrier, a Chaos Mesh experiment reported
// injected). An injector that reported success but changed nothing fails
// here, so its scenario cannot pass on a fault that never bit.
package proof

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/tc"
	"github.com/edgeproof/edgeproof/clusters"
)

// Nodes finds a cluster's nodes by name (*clusters.Cluster implements it).
type Nodes interface {
	Node(ctx context.Context, name string) (*clusters.Node, error)
}

// ObjectCheck shows that the custom resource of a delete-cr action is in
// force, returning one line of evidence.
type ObjectCheck func(ctx context.Context, a journal.Action) (string, error)

// InForce checks every recovery action of e and returns one line of
// evidence per action. The error names the first action whose effect is
// not there, or that could not be checked; objects checks delete-cr
// actions (nil: they fail as not checkable).
func InForce(ctx context.Context, nodes Nodes, objects ObjectCheck, e journal.Entry) ([]string, error) {
	if len(e.Recovery) == 0 {
		return nil, fmt.Errorf("journal entry %s has no recovery steps, so nothing shows it in force", e.ID)
	}
	var out []string
	for _, a := range e.Recovery {
		line, err := action(ctx, nodes, objects, a)
		if errors.Is(err, ErrNotInForce) {
			return out, fmt.Errorf("%s (%s) %s: %s: %w", e.Fault, e.Kind, NotInForce, a, err)
		}
		if err != nil {
			return out, fmt.Errorf("%s (%s): checking that it is in force failed: %s: %w", e.Fault, e.Kind, a, err)
		}
		out = append(out, line)
	}
	return out, nil
}

// ErrNotInForce marks an effect that was checked and found absent.
var ErrNotInForce = chaos.ErrNotInForce

// NotInForce is how InForce's error says an effect was checked and found
// absent, as opposed to a check that could not be made.
const NotInForce = chaos.NotInForce

func action(ctx context.Context, nodes Nodes, objects ObjectCheck, a journal.Action) (string, error) {
	if a.Op == journal.OpDeleteCR {
		if objects == nil {
			return "", errors.New("no check for custom resources")
		}
		return objects(ctx, a)
	}
	n, err := nodes.Node(ctx, a.Node)
	if err != nil {
		return "", err
	}
	switch a.Op {
	case journal.OpStartNode, journal.OpResumeNode:
		state, err := n.State(ctx)
		if err != nil {
			return "", err
		}
		if state == "running" || (a.Op == journal.OpResumeNode && state != "paused") {
			return "", fmt.Errorf("%w: node %s is %s", ErrNotInForce, a.Node, state)
		}
		return fmt.Sprintf("node %s is %s", a.Node, state), nil
	case journal.OpSystemctlStart, journal.OpSystemctlStop:
		out, _ := n.Exec(ctx, "systemctl", "is-active", a.Unit) // non-zero unless active
		state := strings.TrimSpace(string(out))
		if state == "" {
			return "", fmt.Errorf("node %s: systemctl is-active %s answered nothing", a.Node, a.Unit)
		}
		if (state == "active") == (a.Op == journal.OpSystemctlStart) {
			return "", fmt.Errorf("%w: node %s: unit %s is %s", ErrNotInForce, a.Node, a.Unit, state)
		}
		return fmt.Sprintf("node %s: unit %s is %s", a.Node, a.Unit, state), nil
	case journal.OpIptablesFlushComment:
		rules, err := iptables.List(ctx, n)
		if err != nil {
			return "", err
		}
		if k := len(iptables.WithComment(rules, a.Comment)); k > 0 {
			return fmt.Sprintf("node %s: %d iptables rules tagged %s", a.Node, k, a.Comment), nil
		}
		return "", fmt.Errorf("%w: node %s has no iptables rule tagged %s", ErrNotInForce, a.Node, a.Comment)
	case journal.OpTCDelRoot:
		q, ok, err := tc.Root(ctx, n, a.Dev)
		if err != nil {
			return "", err
		}
		if !ok || !q.Ours() {
			return "", fmt.Errorf("%w: node %s: no edgeproof root qdisc on %s (root %q)", ErrNotInForce, a.Node, a.Dev, q.Kind)
		}
		return fmt.Sprintf("node %s: root qdisc %s on %s", a.Node, q.Kind, a.Dev), nil
	case journal.OpLinkUp:
		// Reading carrier of a link that is down fails with EINVAL on
		// some kernels: that too says the link is down.
		out, err := n.Exec(ctx, "sh", "-c", "cat /sys/class/net/eth0/carrier 2>/dev/null || echo none")
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(string(out)) == "1" {
			return "", fmt.Errorf("%w: node %s: eth0 has carrier", ErrNotInForce, a.Node)
		}
		return fmt.Sprintf("node %s: eth0 has no carrier", a.Node), nil
	}
	return "", fmt.Errorf("unknown recovery step %q", a.Op)
}
