package native

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
)

// DeadManMargin is how long after a fault's planned end its dead-man timer
// fires: the run heals at the planned end and disarms the timer within a
// few seconds, so the timer only acts when the run could not.
var DeadManMargin = 15 * time.Second

// safeWord is what may appear unquoted in a dead-man script: journal ids,
// iptables comments, device and unit names are all of this form.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9@._:-]+$`)

// deadManScript is the shell equivalent of the recovery actions for one
// node, or false when an action has none (a node start needs the
// provider). Each line is idempotent, as the actions are.
func deadManScript(actions []journal.Action) (string, bool) {
	var lines []string
	for _, a := range actions {
		for _, w := range []string{a.Comment, a.Dev, a.Unit} {
			if w != "" && !safeWord.MatchString(w) {
				return "", false
			}
		}
		switch a.Op {
		case journal.OpIptablesFlushComment:
			// Delete every rule carrying the comment, in whichever table.
			lines = append(lines, `iptables-save | awk -v c='`+a.Comment+`' '/^\*/{t=substr($0,2)} /^-A / && index($0,c){sub(/^-A /,"-D "); print "-t " t " " $0}' | while read -r r; do eval "iptables -w $r"; done`)
		case journal.OpTCDelRoot:
			lines = append(lines, "tc qdisc del dev "+a.Dev+" root 2>/dev/null || true")
		case journal.OpSystemctlStart:
			lines = append(lines, "systemctl start "+a.Unit)
		case journal.OpSystemctlStop:
			lines = append(lines, "systemctl stop "+a.Unit+" 2>/dev/null || true")
		default:
			return "", false
		}
	}
	return strings.Join(lines, "\n"), len(lines) > 0
}

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
		script, ok := deadManScript(byNode[n.Name()])
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
