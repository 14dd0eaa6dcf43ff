package native

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
)

// A node's network state (iptables rules, qdiscs) lives in its network
// namespace, which a kind node gets afresh when its container restarts: a
// reboot or a power cycle during a partition would silently end the
// partition. The backend therefore remembers how it applied each active
// network fault on each node and applies it again when it starts that node,
// so "rebooted while cut off" stays cut off until the fault's own end.

// applier re-applies one active network fault on one node.
type applier func(ctx context.Context, n *clusters.Node) error

// remember records apply for the fault id on the nodes, until forgotten.
func (b *Backend) remember(id string, nodes []*clusters.Node, apply applier) {
	b.activeMu.Lock()
	defer b.activeMu.Unlock()
	for _, n := range nodes {
		if b.active[n.Name()] == nil {
			b.active[n.Name()] = map[string]applier{}
		}
		b.active[n.Name()][id] = apply
	}
}

// forget drops the fault id from every node.
func (b *Backend) forget(id string) {
	b.activeMu.Lock()
	defer b.activeMu.Unlock()
	for _, m := range b.active {
		delete(m, id)
	}
}

// reapply restores the cluster's Service CIDR guard and applies every
// network fault still active on n again; call it after n has started.
func (b *Backend) reapply(ctx context.Context, n *clusters.Node) error {
	// The cluster's own rule goes first: it was there before any fault. A
	// cluster edgeproof did not create has none of edgeproof's.
	if !n.Unattended() {
		if err := clusters.GuardNode(ctx, b.Kube, n); err != nil {
			return fmt.Errorf("restarted node %s: %w", n.Name(), err)
		}
	}
	b.activeMu.Lock()
	var todo []applier
	var ids []string
	for id, a := range b.active[n.Name()] {
		todo, ids = append(todo, a), append(ids, id)
	}
	b.activeMu.Unlock()
	if len(todo) > 0 && n.Unattended() {
		// A machine powered on again answers only once it has booted.
		if err := answers(ctx, n, BootTimeout); err != nil {
			return fmt.Errorf("re-applying active faults on restarted node %s: %w", n.Name(), err)
		}
	}
	for i, a := range todo {
		if err := a(ctx, n); err != nil {
			return fmt.Errorf("re-applying active fault %s on restarted node %s: %w", ids[i], n.Name(), err)
		}
	}
	return nil
}

// BootTimeout bounds the wait for an unattended node powered on again to
// answer through its agent: a real machine boots in minutes.
var BootTimeout = 5 * time.Minute

// answers waits until n runs a command, or timeout passes.
func answers(ctx context.Context, n *clusters.Node, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		_, last = n.Exec(ctx, "true")
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("node %s did not answer within %s of its start: %w", n.Name(), timeout, errors.Join(err, last))
	}
	return nil
}

// tracked makes a network fault's recovery forget it once healed, and
// remembers it meanwhile; rec is the result of finish.
func (b *Backend) tracked(id string, nodes []*clusters.Node, apply applier, rec chaos.Recover, err error) (chaos.Recover, error) {
	if err != nil {
		return nil, err
	}
	b.remember(id, nodes, apply)
	return func(ctx context.Context) error {
		if err := rec(ctx); err != nil {
			return err
		}
		b.forget(id)
		return nil
	}, nil
}
