package native

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/scenarios"
)

// On a cluster edgeproof reaches only through its API server (an existing
// cluster's node agent), a fault that stops a node's kubelet or runtime, or
// cuts the node off from the control plane, also cuts edgeproof off from
// the node: the exec that applied it would break half-way and nothing
// could heal it. Such a fault is therefore handed to the node: a transient
// timer applies it a moment after the exec returns, the dead-man timer
// heals it at its planned end, and the run shows it in force and healed
// from the API (chaos/proof), reading afterwards when the node healed it.

// CutOffApplyDelay is how long after it is handed over a cut-off fault is
// applied on the node: long enough for the answer of the exec that handed
// it over to leave the node before the cut.
var CutOffApplyDelay = time.Second

// MinCutOff is the shortest cut-off fault an unattended node can be shown
// in force for: the apply delay, then a node lease renewal missed (a
// kubelet renews every 10 s by default), with room to observe it.
const MinCutOff = 20 * time.Second

// RejoinTimeout bounds the wait, after a cut-off fault's planned end, for
// its nodes to answer again with the moment their timers healed it.
var RejoinTimeout = 3 * time.Minute

// cutsOff reports whether f, on this cluster, cuts its target nodes off
// from edgeproof: the nodes are unattended and the fault stops their
// kubelet or runtime, or separates them from the control plane.
func cutsOff(c *clusters.Cluster, k scenarios.FaultKind, peers Peers) bool {
	if !c.Unattended() {
		return false
	}
	switch k {
	case scenarios.KubeletStop, scenarios.RuntimeStop:
		return true
	case scenarios.NodeIsolate, scenarios.ZonePartition, scenarios.UplinkFlap:
		return peers.ControlPlane
	}
	return false
}

// tooShort is why a fault that cuts unattended nodes off cannot run, or "".
func tooShort(f scenarios.Fault) string {
	if d := f.Duration.Std(); d < MinCutOff {
		return fmt.Sprintf("it cuts an unattended node off from the API server, so it can only be shown in force from the API (the node's lease stops renewing, or the node turns NotReady), which needs at least %s; this fault lasts %s", MinCutOff, d)
	}
	return ""
}

// commands is what an injector runs on node n, through x (n itself, or a
// script the node runs later).
type commands func(ctx context.Context, n *clusters.Node, x iptables.Execer) error

// script records the commands an injector would run on a node, so that a
// timer on the node can run them later.
type script struct {
	args   [][]string
	stdins [][]byte
}

func (s *script) Exec(ctx context.Context, args ...string) ([]byte, error) {
	return s.ExecInput(ctx, nil, args...)
}

func (s *script) ExecInput(_ context.Context, stdin []byte, args ...string) ([]byte, error) {
	s.args = append(s.args, args)
	s.stdins = append(s.stdins, stdin)
	return nil, nil
}

// inputFile is where a recorded command's stdin waits on the node.
func inputFile(id string, i int) string {
	return fmt.Sprintf("%s/%s.in%d", recovery.RunDir, id, i)
}

// shell is the recorded commands as one sh script: each runs with its
// input file, the first failure stops it, and the input files go.
func (s *script) shell(id string) string {
	lines := []string{"trap 'rm -f " + recovery.RunDir + "/" + id + ".in*' EXIT", "set -e",
		// The fault's true start, for the run's measurements.
		"mkdir -p " + recovery.RunDir, "date +%s%N > " + recovery.AppliedFile(id)}
	for i, args := range s.args {
		q := make([]string, len(args))
		for j, a := range args {
			q[j] = command.Quote(a)
		}
		line := strings.Join(q, " ")
		if s.stdins[i] != nil {
			line += " < " + inputFile(id, i)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// handOver has node n apply run's commands by itself, CutOffApplyDelay
// from now, under the journal id.
func handOver(ctx context.Context, n *clusters.Node, id string, run commands) error {
	s := &script{}
	if err := run(ctx, n, s); err != nil {
		return err
	}
	for i, in := range s.stdins {
		if in == nil {
			continue
		}
		if _, err := n.ExecInput(ctx, in, "sh", "-c", "umask 077 && mkdir -p "+recovery.RunDir+" && cat > "+inputFile(id, i)); err != nil {
			return fmt.Errorf("node %s: writing the fault's input: %w", n.Name(), err)
		}
	}
	delay := fmt.Sprintf("--on-active=%dms", CutOffApplyDelay.Milliseconds())
	if _, err := n.Exec(ctx, "systemd-run", "--unit="+recovery.CutOffPrefix+id, delay, "--timer-property=AccuracySec=100ms",
		"--collect", "--quiet", "sh", "-c", s.shell(id)); err != nil {
		return fmt.Errorf("node %s: arming the timer that applies the fault: %w", n.Name(), err)
	}
	return nil
}

// apply runs the commands on every node: directly, or handed over to
// each node when the fault cuts the nodes off.
func (in *injection) apply(ctx context.Context, nodes []*clusters.Node, run commands) error {
	if in.entry.CutOff == nil {
		return each(ctx, nodes, func(ctx context.Context, n *clusters.Node) error { return run(ctx, n, n) })
	}
	return each(ctx, nodes, func(ctx context.Context, n *clusters.Node) error { return handOver(ctx, n, in.entry.ID, run) })
}

// rejoinPoll is how often a cut-off node is asked whether it healed.
var rejoinPoll = time.Second

// awaitHealed waits, for a cut-off entry, until every node answers again,
// and reports the latest moment a node's dead-man timer healed the fault
// and the earliest moment a node applied it (chaos.ReportNodeTimes). Each
// node is first asked at once, stopping its apply timer: a node that
// answers is not cut off (the fault never bit, or is over), and recovery
// can heal it now. The others are waited for until their timers healed
// them.
func (in *injection) awaitHealed(ctx context.Context) error {
	e := in.entry
	nodes, err := in.b.nodes(ctx, e.Targets)
	if err != nil {
		return err
	}
	var last time.Time
	var cut []*clusters.Node
	for _, n := range nodes {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := n.Exec(qctx, "sh", "-c", recovery.StopApplyTimer(e.ID)+"; cat "+recovery.HealedFile(e.ID)+" 2>/dev/null; true")
		cancel()
		if err != nil {
			cut = append(cut, n)
			continue
		}
		if t, err := parseStamp(out); err == nil && t.After(last) {
			last = t
		}
	}
	if len(cut) > 0 {
		rctx, cancel := context.WithDeadline(ctx, e.CutOff.Heals.Add(RejoinTimeout))
		defer cancel()
		for _, n := range cut {
			t, err := healedAt(rctx, n, e.ID)
			if err != nil {
				return fmt.Errorf("%s cut node %s off until its own timer healed it at %s: %w", e.Fault, n.Name(), e.CutOff.Heals.Local().Format(time.TimeOnly), err)
			}
			if t.After(last) {
				last = t
			}
		}
	}
	var first time.Time
	for _, n := range nodes {
		if t := appliedAt(ctx, n, e.ID); !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	chaos.ReportNodeTimes(ctx, chaos.NodeTimes{Applied: first, Healed: last})
	return nil
}

// appliedAt is when node n's timer applied fault id, or zero when it
// did not or cannot say.
func appliedAt(ctx context.Context, n *clusters.Node, id string) time.Time {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := n.Exec(qctx, "cat", recovery.AppliedFile(id))
	if err != nil {
		return time.Time{}
	}
	t, err := parseStamp(out)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseStamp reads a healed file: nanoseconds since the epoch.
func parseStamp(out []byte) (time.Time, error) {
	ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the moment the node healed the fault: %w", err)
	}
	return time.Unix(0, ns), nil
}

// healedAt polls n until it answers with the moment its dead-man timer
// healed fault id.
func healedAt(ctx context.Context, n *clusters.Node, id string) (time.Time, error) {
	var lastErr error
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := n.Exec(qctx, "cat", recovery.HealedFile(id))
		cancel()
		if err == nil {
			return parseStamp(out)
		}
		lastErr = err
		if !sleep.For(ctx, rejoinPoll) {
			return time.Time{}, fmt.Errorf("it did not answer with the moment it healed: %w", errors.Join(ctx.Err(), lastErr))
		}
	}
}

// cutOffEntry sets e's CutOff times for a fault of duration d handed over
// now.
func cutOffEntry(e *journal.Entry, d time.Duration) {
	now := time.Now()
	e.CutOff = &journal.CutOff{Applies: now.Add(CutOffApplyDelay), Heals: now.Add(d + CutOffApplyDelay)}
}
