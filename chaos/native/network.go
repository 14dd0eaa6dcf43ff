package native

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/tc"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// LabelControlPlane marks control-plane nodes (set by kubeadm).
const LabelControlPlane = "node-role.kubernetes.io/control-plane"

// Peers are the addresses a network fault cuts a node off from.
type Peers struct {
	// Nodes are the peer nodes' names.
	Nodes []string
	// Addrs are their IPv4 InternalIPs and, when the fault cuts the data
	// plane too, their IPv4 pod CIDRs.
	Addrs []string
	// ControlPlane is true when a peer runs the control plane: the cut
	// then separates the targets from the API server too.
	ControlPlane bool
}

// PeersFor returns who a network fault on targets cuts the targets off
// from, from the cluster's Node objects:
//   - node-isolate: the control-plane nodes' IPs (the API server), so the
//     node's pods keep talking to each other;
//   - zone-partition: every node outside targets, IPs and pod CIDRs;
//   - uplink-flap and uplink-shape loss: the cloud-tier nodes
//     (edgeproof.dev/tier=cloud, else the control plane), IPs and pod CIDRs.
//
// It fails when a target is itself a peer (a node cannot be cut off from
// itself) or there is no peer.
func PeersFor(kind scenarios.FaultKind, targets []string, nodes []corev1.Node) (Peers, error) {
	isTarget := func(n *corev1.Node) bool { return slices.Contains(targets, n.Name) }
	hasTier := slices.ContainsFunc(nodes, func(n corev1.Node) bool {
		return n.Labels[clusters.LabelTier] == clusters.TierCloud
	})
	var pick func(n *corev1.Node) bool
	withPods := true
	switch kind {
	case scenarios.NodeIsolate:
		pick = isControlPlane
		withPods = false
	case scenarios.ZonePartition:
		pick = func(n *corev1.Node) bool { return !isTarget(n) }
	default: // uplink faults
		pick = isControlPlane
		if hasTier {
			pick = func(n *corev1.Node) bool { return n.Labels[clusters.LabelTier] == clusters.TierCloud }
		}
	}
	var p Peers
	for i := range nodes {
		n := &nodes[i]
		if !pick(n) {
			continue
		}
		if isTarget(n) {
			return Peers{}, &TopologyError{fmt.Sprintf("target node %s is on the other side of the cut (control plane or cloud tier)", n.Name)}
		}
		ip := internalIPv4(n)
		if ip == "" {
			return Peers{}, fmt.Errorf("node %s has no IPv4 InternalIP", n.Name)
		}
		p.Nodes = append(p.Nodes, n.Name)
		p.ControlPlane = p.ControlPlane || isControlPlane(n)
		p.Addrs = append(p.Addrs, ip)
		if withPods {
			p.Addrs = append(p.Addrs, podCIDRsV4(n)...)
		}
	}
	if len(p.Nodes) == 0 {
		return Peers{}, &TopologyError{"no peer nodes to cut off from (no control-plane or cloud-tier node, or nothing outside the zone)"}
	}
	return p, nil
}

func isControlPlane(n *corev1.Node) bool {
	_, ok := n.Labels[LabelControlPlane]
	return ok
}

func internalIPv4(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
			return ip.String()
		}
	}
	return ""
}

func podCIDRsV4(n *corev1.Node) []string {
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	var out []string
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is4() {
			out = append(out, p.String())
		}
	}
	return out
}

// TopologyError says the cluster's shape cannot carry a network fault (no
// peers to cut off, a target on the wrong side of the cut): a missing
// capability, which preflight reports as a skip, not an error.
type TopologyError struct{ Reason string }

func (e *TopologyError) Error() string { return e.Reason }

func (b *Backend) peers(ctx context.Context, kind scenarios.FaultKind, targets []string) (Peers, error) {
	list, err := b.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Peers{}, fmt.Errorf("listing nodes: %w", err)
	}
	return PeersFor(kind, targets, list.Items)
}

// isolate injects node-isolate, zone-partition and uplink-flap: DROP
// rules inside each target node against its peers, tagged with the
// journal id; recovery deletes exactly the rules with that tag.
func (b *Backend) isolate(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	peers, err := b.peers(ctx, f.Kind, names)
	if err != nil {
		return nil, err
	}
	dir := scenarios.DirectionBoth
	if f.Isolation != nil && f.Isolation.Direction != "" && f.Kind != scenarios.UplinkFlap {
		dir = f.Isolation.Direction
	}
	id := b.Journal.NewID()
	comment := iptables.Comment(id)
	rules := iptables.DropRules(comment, dir, peers.Addrs)
	actions := make([]journal.Action, len(names))
	for i, n := range names {
		actions[i] = journal.Action{Op: journal.OpIptablesFlushComment, Node: n, Comment: comment}
	}
	in, err := b.beginCut(ctx, f, id, names, actions, cutsOff(b.Cluster, f.Kind, peers))
	if err != nil {
		return nil, err
	}
	err = in.apply(ctx, nodes, func(ctx context.Context, _ *clusters.Node, x iptables.Execer) error {
		return iptables.Insert(ctx, x, rules)
	})
	rec, err := in.finish(ctx, err, false)
	return b.tracked(id, nodes, func(ctx context.Context, n *clusters.Node) error { return iptables.Insert(ctx, n, rules) }, rec, err)
}

// shapePlan is how uplink-shape is applied on a node.
type shapePlan struct {
	netem *tc.Netem // root netem, when delay or correlated loss
	tbf   *tc.TBF   // bandwidth, root or under netem
	loss  float64   // iptables random loss probability (0-1), to the cloud
}

// planShape decides the tools for uplink-shape: bandwidth with tbf; loss
// with iptables statistic, which drops packets independently, unless a
// correlation asks for netem; latency and jitter with netem. netemOK says
// whether the node's kernel has sch_netem.
func planShape(u *scenarios.UplinkParams, netemOK bool) (shapePlan, error) {
	var p shapePlan
	if u == nil || (u.Bandwidth == nil && u.Loss == nil && u.Delay == nil) {
		return p, errors.New("uplink-shape needs bandwidth, loss or delay")
	}
	if u.Bandwidth != nil {
		bits, err := u.Bandwidth.BitsPerSecond()
		if err != nil {
			return p, err
		}
		t := tc.TBF{BitsPerSecond: bits, Burst: u.Bandwidth.Buffer, Limit: u.Bandwidth.Limit}
		if t.Burst == 0 {
			t.Burst = scenarios.DefaultBandwidthBuffer
		}
		if t.Limit == 0 {
			t.Limit = scenarios.DefaultBandwidthLimit
		}
		p.tbf = &t
	}
	needNetem := u.Delay != nil || (u.Loss != nil && u.Loss.Correlation > 0)
	if needNetem {
		if reason := netemReason(u); !netemOK {
			return p, errors.New(reason)
		}
		n := tc.Netem{}
		if d := u.Delay; d != nil {
			n.Latency, n.Jitter, n.DelayCorrelation = d.Latency.Std(), d.Jitter.Std(), float64(d.Correlation)
		}
		if l := u.Loss; l != nil {
			n.Loss, n.LossCorrelation = float64(l.Loss), float64(l.Correlation)
		}
		p.netem = &n
	} else if u.Loss != nil {
		p.loss = float64(u.Loss.Loss) / 100
	}
	return p, nil
}

// netemReason says what needs sch_netem when it is absent.
func netemReason(u *scenarios.UplinkParams) string {
	if u.Delay != nil {
		return "node-level latency needs sch_netem, absent on this host"
	}
	return "node-level correlated loss needs sch_netem, absent on this host (iptables statistic drops packets independently; leave correlation out to use it)"
}

// needsNetem reports whether uplink-shape u needs sch_netem.
func needsNetem(u *scenarios.UplinkParams) bool {
	return u != nil && (u.Delay != nil || (u.Loss != nil && u.Loss.Correlation > 0))
}

// shape injects uplink-shape at layer node. tbf and netem shape all of the
// node's egress on Dev; iptables loss drops only traffic to the cloud
// tier (its nodes and pod CIDRs).
func (b *Backend) shape(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	if needsNetem(f.Uplink) {
		for _, n := range nodes {
			ok, err := b.netemWorks(ctx, n)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: Name, Reason: netemReason(f.Uplink)}
			}
		}
	}
	plan, err := planShape(f.Uplink, true) // netem was probed above
	if err != nil {
		return nil, err
	}
	id := b.Journal.NewID()
	comment := iptables.Comment(id)
	var rules []iptables.Rule
	if plan.loss > 0 {
		peers, err := b.peers(ctx, f.Kind, names)
		if err != nil {
			return nil, err
		}
		if rules, err = iptables.LossRules(comment, plan.loss, peers.Addrs); err != nil {
			return nil, err
		}
	}
	var actions []journal.Action
	for _, n := range names {
		if plan.tbf != nil || plan.netem != nil {
			actions = append(actions, journal.Action{Op: journal.OpTCDelRoot, Node: n, Dev: b.dev()})
		}
		if len(rules) > 0 {
			actions = append(actions, journal.Action{Op: journal.OpIptablesFlushComment, Node: n, Comment: comment})
		}
	}
	in, err := b.begin(ctx, f, id, names, actions)
	if err != nil {
		return nil, err
	}
	apply := func(ctx context.Context, n *clusters.Node) error {
		for _, cmd := range plan.commands(b.dev()) {
			if _, err := n.Exec(ctx, cmd...); err != nil {
				return err
			}
		}
		return iptables.Insert(ctx, n, rules)
	}
	err = each(ctx, nodes, apply)
	rec, err := in.finish(ctx, err, false)
	return b.tracked(id, nodes, apply, rec, err)
}

// commands are the tc commands of the plan, root first.
func (p shapePlan) commands(dev string) [][]string {
	var cmds [][]string
	parent := ""
	if p.netem != nil {
		cmds = append(cmds, p.netem.Args(dev))
		parent = "1:1"
	}
	if p.tbf != nil {
		cmds = append(cmds, p.tbf.Args(dev, parent))
	}
	return cmds
}

// netemWorks probes sch_netem on a node once and remembers the answer.
func (b *Backend) netemWorks(ctx context.Context, n *clusters.Node) (bool, error) {
	b.netemMu.Lock()
	ok, known := b.netem[n.Name()]
	b.netemMu.Unlock()
	if known {
		return ok, nil
	}
	ok, err := tc.ProbeNetem(ctx, n)
	if err != nil {
		return false, err
	}
	b.netemMu.Lock()
	b.netem[n.Name()] = ok
	b.netemMu.Unlock()
	return ok, nil
}
