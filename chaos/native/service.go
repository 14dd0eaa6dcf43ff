package native

import (
	"context"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Units stopped by kubelet-stop and runtime-stop.
const (
	KubeletUnit = "kubelet"
	RuntimeUnit = "containerd"
)

func unitOf(k scenarios.FaultKind) string {
	if k == scenarios.RuntimeStop {
		return RuntimeUnit
	}
	return KubeletUnit
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

// service injects kubelet-stop and runtime-stop; recovery starts the unit.
func (b *Backend) service(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	unit := unitOf(f.Kind)
	sig := scenarios.SignalTerm
	if f.Process != nil && f.Process.Signal != "" {
		sig = f.Process.Signal
	}
	actions := make([]journal.Action, len(names))
	for i, n := range names {
		actions[i] = journal.Action{Op: journal.OpSystemctlStart, Node: n, Unit: unit}
	}
	in, err := b.beginCut(ctx, f, "", names, actions, cutsOff(b.Cluster, f.Kind, Peers{}))
	if err != nil {
		return nil, err
	}
	err = in.apply(ctx, nodes, func(ctx context.Context, x iptables.Execer) error {
		for _, cmd := range StopCommands(unit, sig) {
			if _, err := x.Exec(ctx, cmd...); err != nil {
				return err
			}
		}
		return nil
	})
	return in.finish(ctx, err, false)
}
