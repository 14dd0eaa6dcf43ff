package native

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
)

// DeadManMargin is how long after a fault's planned end its dead-man timer
// fires: the run heals at the planned end and disarms the timer within a
// few seconds, so the timer only acts when the run could not.
var DeadManMargin = 15 * time.Second

// armDeadMan starts, on each unattended node of the entry, a transient
// systemd timer that runs the entry's recovery at the fault's planned end
// plus DeadManMargin, whatever happens to edgeproof or to the node's link
// to the API server. A node whose recovery has no shell equivalent, or a
// fault with no duration, gets none. Recovery disarms them.
func (b *Backend) armDeadMan(ctx context.Context, e journal.Entry, d time.Duration) error {
	if d <= 0 || !b.Cluster.Unattended() {
		return nil
	}
	byNode := map[string][]journal.Action{}
	var names []string
	for _, a := range e.Recovery {
		if a.Node == "" {
			continue
		}
		if byNode[a.Node] == nil {
			names = append(names, a.Node)
		}
		byNode[a.Node] = append(byNode[a.Node], a)
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return err
	}
	// A fault that cuts its nodes off is healed only by these timers, so
	// they fire at its planned end, and say when they did.
	margin, stamp := DeadManMargin, false
	if c := e.CutOff; c != nil {
		margin, stamp = CutOffApplyDelay, true
	}
	after := int((d + margin + time.Second - 1) / time.Second)
	for _, n := range nodes {
		if !n.Unattended() {
			continue
		}
		script, ok := recovery.NodeScript(byNode[n.Name()])
		if !ok {
			continue
		}
		if stamp {
			script += "\nmkdir -p " + recovery.RunDir + " && date +%s%N > " + recovery.HealedFile(e.ID)
		}
		if _, err := n.Exec(ctx, "systemd-run", "--unit="+recovery.DeadManPrefix+e.ID, fmt.Sprintf("--on-active=%ds", after),
			"--timer-property=AccuracySec=1s", "--collect", "--quiet", "sh", "-c", script); err != nil {
			return fmt.Errorf("arming the dead-man timer on %s: %w", n.Name(), err)
		}
	}
	return nil
}
