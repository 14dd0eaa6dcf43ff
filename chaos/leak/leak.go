// Package leak lists what edgeproof's faults may have left behind on a
// cluster, so that a run can prove it healed everything.
package leak

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/chaos/tc"
	"github.com/edgeproof/edgeproof/clusters"
)

// Check lists, in human-readable lines, everything edgeproof left on
// cluster c: nodes not running (paused or exited), kubelet or containerd
// not active, iptables rules carrying an edgeproof comment, a tbf or netem
// root qdisc on a node's eth0, edgeproof stress units still active, and
// pending entries of the cluster's journal. An empty list means clean.
// The error reports checks that could not run, beside what was found.
func Check(ctx context.Context, c *clusters.Cluster) ([]string, error) {
	j, err := journal.Open(c.Name)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return CheckJournal(ctx, c, j, native.DefaultDev)
}

// CheckJournal is Check with an open journal and the uplink device.
func CheckJournal(ctx context.Context, c *clusters.Cluster, j *journal.Journal, dev string) ([]string, error) {
	var found []string
	var errs []error
	pending, err := j.Pending()
	if err != nil {
		errs = append(errs, err)
	}
	for _, e := range pending {
		found = append(found, fmt.Sprintf("journal entry %s not healed (run edgeproof recover --cluster %s)", e, c.Name))
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return found, errors.Join(append(errs, err)...)
	}
	for _, n := range nodes {
		f, err := checkNode(ctx, n, dev)
		found = append(found, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return found, errors.Join(errs...)
}

func checkNode(ctx context.Context, n *clusters.Node, dev string) ([]string, error) {
	state, err := n.State(ctx)
	if err != nil {
		return nil, err
	}
	if state != "running" {
		// Nothing inside can be checked; the node itself is the leak.
		return []string{fmt.Sprintf("node %s is %s, not running", n.Name(), state)}, nil
	}
	var found []string
	var errs []error
	svcs, err := services(ctx, n)
	if err != nil {
		errs = append(errs, fmt.Errorf("node %s: %w", n.Name(), err))
	}
	out, err := n.Exec(ctx, append([]string{"systemctl", "is-active"}, svcs...)...)
	// is-active exits non-zero when any unit is inactive: read the output.
	states := strings.Fields(string(out))
	if len(states) != len(svcs) {
		errs = append(errs, fmt.Errorf("node %s: checking services: %w", n.Name(), err))
	} else {
		for i, u := range svcs {
			if states[i] != "active" {
				found = append(found, fmt.Sprintf("node %s: %s is %s", n.Name(), u, states[i]))
			}
		}
	}
	if rules, err := iptables.List(ctx, n); err != nil {
		errs = append(errs, fmt.Errorf("node %s: %w", n.Name(), err))
	} else {
		for _, r := range iptables.Leftovers(rules) {
			found = append(found, fmt.Sprintf("node %s: iptables rule left: -t %s %s", n.Name(), r.Table, r))
		}
	}
	if q, ok, err := tc.Root(ctx, n, dev); err != nil {
		errs = append(errs, fmt.Errorf("node %s: %w", n.Name(), err))
	} else if ok && q.Ours() {
		found = append(found, fmt.Sprintf("node %s: root qdisc %s left on %s", n.Name(), q.Kind, dev))
	}
	units, err := n.Exec(ctx, "sh", "-c", "systemctl list-units --plain --no-legend --state=active '"+native.StressUnitPrefix+"*' '"+recovery.DeadManPrefix+"*' '"+recovery.CutOffPrefix+"*' | cut -d' ' -f1")
	if err != nil {
		errs = append(errs, fmt.Errorf("node %s: listing stress, dead-man and cut-off units: %w", n.Name(), err))
	}
	for _, u := range strings.Fields(string(units)) {
		what := "stress unit"
		switch {
		case strings.HasPrefix(u, recovery.DeadManPrefix):
			what = "dead-man timer"
		case strings.HasPrefix(u, recovery.CutOffPrefix):
			what = "cut-off apply timer"
		}
		found = append(found, fmt.Sprintf("node %s: %s %s still active", n.Name(), what, u))
	}
	return found, errors.Join(errs...)
}

// services are the node's kubelet and runtime units, under whichever
// names its distribution gives them (k3s has no runtime unit of its own).
func services(ctx context.Context, n *clusters.Node) ([]string, error) {
	found, err := native.FindUnits(ctx, n, native.KubeletUnits, native.RuntimeUnits)
	if err != nil {
		return nil, err
	}
	units := slices.DeleteFunc(found, func(u string) bool { return u == "" })
	if len(units) == 0 {
		return nil, fmt.Errorf("no kubelet unit found (%s)", strings.Join(native.KubeletUnits, ", "))
	}
	return units, nil
}
