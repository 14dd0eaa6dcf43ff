package native

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// The units kind and kubeadm nodes run the kubelet and the runtime as.
const (
	KubeletUnit = "kubelet"
	RuntimeUnit = "containerd"
)

// KubeletUnits are the systemd units a node's kubelet may run as, in the
// order they are looked for: kubeadm and kind, a k3s agent or server (the
// kubelet runs inside them), microk8s's kubelite.
var KubeletUnits = []string{KubeletUnit, "k3s-agent", "k3s", "snap.microk8s.daemon-kubelite"}

// RuntimeUnits are the units of container runtimes that run as a unit of
// their own. k3s runs containerd inside its own unit, so it has none.
var RuntimeUnits = []string{RuntimeUnit, "snap.microk8s.daemon-containerd", "crio"}

// unitsOf are the units kubelet-stop or runtime-stop may stop.
func unitsOf(k scenarios.FaultKind) []string {
	if k == scenarios.RuntimeStop {
		return RuntimeUnits
	}
	return KubeletUnits
}

// FindUnits returns, for each list of candidate names, the first that is
// a unit loaded on the node, or "" when none is; one query for all lists.
func FindUnits(ctx context.Context, n iptables.Execer, lists ...[]string) ([]string, error) {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	out, err := n.Exec(ctx, append([]string{"systemctl", "show", "-p", "LoadState", "--value"}, all...)...)
	if err != nil {
		return nil, fmt.Errorf("querying units %s: %w", strings.Join(all, ", "), err)
	}
	states := strings.Fields(string(out))
	if len(states) != len(all) {
		return nil, fmt.Errorf("querying units %s: systemctl answered %q", strings.Join(all, ", "), out)
	}
	found := make([]string, len(lists))
	for i, l := range lists {
		if j := slices.Index(states[:len(l)], "loaded"); j >= 0 {
			found[i] = l[j]
		}
		states = states[len(l):]
	}
	return found, nil
}

// findUnit is the unit kubelet-stop or runtime-stop stops on the node, or
// "" when it has none.
func findUnit(ctx context.Context, n iptables.Execer, k scenarios.FaultKind) (string, error) {
	u, err := FindUnits(ctx, n, unitsOf(k))
	if err != nil {
		return "", err
	}
	return u[0], nil
}

// StopCommands are the commands that stop unit on a node. SIGTERM is a
// plain systemctl stop. SIGKILL kills only the main process (so
// containerd's shims, and with them the containers, survive as they would
// a crash), then stops the unit so that Restart=always does not bring it
// back before the fault ends.
func StopCommands(unit string, sig scenarios.Signal) [][]string {
	stop := []string{"systemctl", "stop", unit}
	if sig == scenarios.SignalKill {
		return [][]string{{"systemctl", "kill", "--kill-who=main", "--signal=KILL", unit}, stop}
	}
	return [][]string{stop}
}

// noUnit says what a node lacks for kubelet-stop or runtime-stop.
func noUnit(k scenarios.FaultKind) string {
	if k == scenarios.RuntimeStop {
		return "no container runtime of its own unit (" + strings.Join(RuntimeUnits, ", ") + "); k3s runs containerd inside its own unit, which runtime-stop cannot stop alone"
	}
	return "none of the units a kubelet runs as (" + strings.Join(KubeletUnits, ", ") + ")"
}

// service injects kubelet-stop and runtime-stop; recovery starts the unit.
func (b *Backend) service(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	sig := scenarios.SignalTerm
	if f.Process != nil && f.Process.Signal != "" {
		sig = f.Process.Signal
	}
	// Each node's own unit: a fleet may mix kubeadm and k3s nodes.
	units := map[string]string{}
	actions := make([]journal.Action, len(names))
	for i, n := range nodes {
		u, err := findUnit(ctx, n, f.Kind)
		if err != nil || u == "" {
			return nil, errors.Join(fmt.Errorf("node %s: %s", n.Name(), noUnit(f.Kind)), err)
		}
		units[n.Name()] = u
		actions[i] = journal.Action{Op: journal.OpSystemctlStart, Node: n.Name(), Unit: u}
	}
	in, err := b.beginCut(ctx, f, "", names, actions, cutsOff(b.Cluster, f.Kind, Peers{}))
	if err != nil {
		return nil, err
	}
	err = in.apply(ctx, nodes, func(ctx context.Context, n *clusters.Node, x iptables.Execer) error {
		for _, cmd := range StopCommands(units[n.Name()], sig) {
			if _, err := x.Exec(ctx, cmd...); err != nil {
				return err
			}
		}
		return nil
	})
	return in.finish(ctx, err, false)
}
