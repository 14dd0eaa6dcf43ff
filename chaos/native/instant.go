package native

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Instantaneous faults are over when their injector returns, so nothing is
// left for proof.InForce to find afterwards. Each checks its own effect
// from outside instead, against what it read before acting: a pod that
// still runs under the same UID, a container still running, a node whose
// boot did not change. An absent effect fails the injection as not in
// force (chaos.NotInForce), as proof.InForce does for lasting faults.

// notInForce is the error for an instantaneous fault whose effect was
// checked and found absent.
func notInForce(f scenarios.Fault, format string, args ...any) error {
	return fmt.Errorf("%s (%s) %s: %w", f.Name, f.Kind, chaos.NotInForce,
		fmt.Errorf("%w: %s", chaos.ErrNotInForce, fmt.Sprintf(format, args...)))
}

// podUIDs reads the UIDs of the pods before they are killed.
func (b *Backend) podUIDs(ctx context.Context, pods []types.NamespacedName) (map[types.NamespacedName]types.UID, error) {
	out := map[types.NamespacedName]types.UID{}
	for _, p := range pods {
		pod, err := b.Kube.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading pod %s before killing it: %w", p, err)
		}
		out[p] = pod.UID
	}
	return out, nil
}

// checkPodsKilled shows every killed pod gone, terminating, or replaced
// under its name by a pod with a new UID.
func (b *Backend) checkPodsKilled(ctx context.Context, f scenarios.Fault, before map[types.NamespacedName]types.UID) error {
	for p, uid := range before {
		pod, err := b.Kube.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("checking pod %s was killed: %w", p, err)
		case pod.UID == uid && pod.DeletionTimestamp == nil:
			return notInForce(f, "pod %s still runs, same UID, not terminating", p)
		}
	}
	return nil
}

// checkContainersStopped shows that none of the stopped container ids is
// listed as running any more.
func checkContainersStopped(ctx context.Context, f scenarios.Fault, node *clusters.Node, p types.NamespacedName, name string, ids []string) error {
	out, err := node.Exec(ctx, CrictlPS(p.Namespace, p.Name, name)...)
	if err != nil {
		return fmt.Errorf("checking container %s was stopped: %w", name, err)
	}
	for _, id := range strings.Fields(string(out)) {
		if slices.Contains(ids, id) {
			return notInForce(f, "container %s of pod %s (%s) still running on node %s", name, p, id, node.Name())
		}
	}
	return nil
}

// bootScript prints what changes when a node restarts: the kernel's boot
// id (a VM) and the start time of the node's PID 1 (a container).
const bootScript = `cat /proc/sys/kernel/random/boot_id; cut -d' ' -f22 /proc/1/stat`

// bootMark reads the node's boot marker.
func bootMark(ctx context.Context, n *clusters.Node) (string, error) {
	out, err := n.Exec(ctx, "sh", "-c", bootScript)
	if err != nil {
		return "", fmt.Errorf("reading the boot marker of node %s: %w", n.Name(), err)
	}
	return strings.Join(strings.Fields(string(out)), " "), nil
}

// rebootChecked reboots n and shows it restarted: its boot marker changed.
func (b *Backend) rebootChecked(ctx context.Context, f scenarios.Fault, n *clusters.Node) error {
	before, err := bootMark(ctx, n)
	if err != nil {
		return err
	}
	if err := n.Reboot(ctx); err != nil {
		return err
	}
	if err := b.reapply(ctx, n); err != nil {
		return err
	}
	after, err := bootMark(ctx, n)
	if err != nil {
		return err
	}
	if after == before {
		return notInForce(f, "node %s did not restart: boot id and init start time unchanged (%s)", n.Name(), after)
	}
	return nil
}
