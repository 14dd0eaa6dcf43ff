// Package native injects faults into kind nodes (and any clusters.Node)
// with the node's own tools, no cluster add-on needed: docker
// kill/stop/pause through the provider, systemctl for kubelet and
// containerd, iptables and tc inside the node's network namespace, crictl
// for containers, and the Kubernetes API for pod deletion.
package native

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Name is the backend's name in journals and reports.
const Name = "native"

// DefaultDev is the node interface uplink faults shape: a kind node's
// only interface, and the interface a QEMU guest's networkd manages.
const DefaultDev = "eth0"

// HealTimeout bounds an undo that runs after the caller's context is
// cancelled (Ctrl-C during an injection).
var HealTimeout = 2 * time.Minute

// Backend injects faults natively. Create it with New.
type Backend struct {
	// Cluster gives access to nodes.
	Cluster *clusters.Cluster
	// Kube is the cluster's API.
	Kube kubernetes.Interface
	// Journal records every injection before it happens.
	Journal *journal.Journal
	// Resolver resolves targets; Inject resolves every fault it is given
	// (a resolved fault resolves to itself).
	Resolver *chaos.Resolver
	// Dev is the interface uplink-shape shapes; DefaultDev if empty.
	Dev string

	recovery *recovery.Env

	netemMu sync.Mutex
	netem   map[string]bool // node -> sch_netem works

	activeMu sync.Mutex
	active   map[string]map[string]applier // node -> fault id -> re-apply (reapply.go)
}

var _ chaos.Backend = (*Backend)(nil)

// New returns a native backend; r may be nil for a resolver without a
// default pod namespace.
func New(c *clusters.Cluster, kube kubernetes.Interface, j *journal.Journal, r *chaos.Resolver) *Backend {
	if r == nil {
		r = &chaos.Resolver{Kube: kube, Eligible: c.GuardNode}
	}
	return &Backend{
		Cluster:  c,
		Kube:     kube,
		Journal:  j,
		Resolver: r,
		recovery: &recovery.Env{Cluster: c},
		netem:    map[string]bool{},
		active:   map[string]map[string]applier{},
	}
}

// Name implements chaos.Backend.
func (b *Backend) Name() string { return Name }

func (b *Backend) dev() string {
	if b.Dev == "" {
		return DefaultDev
	}
	return b.Dev
}

// Inject implements chaos.Injector.
func (b *Backend) Inject(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	if chaos.WorkloadKind(f) {
		return nil, &chaos.WorkloadFaultError{Kind: f.Kind}
	}
	if reason, ok := unsupported(f); !ok {
		return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: Name, Reason: reason}
	}
	f, err := b.Resolver.Resolve(ctx, f)
	if err != nil {
		return nil, err
	}
	var rec chaos.Recover
	switch f.Kind {
	case scenarios.NodePowerLoss, scenarios.NodeStop, scenarios.NodePause, scenarios.NodeReboot:
		rec, err = b.lifecycle(ctx, f)
	case scenarios.KubeletStop, scenarios.RuntimeStop:
		rec, err = b.service(ctx, f)
	case scenarios.NodeIsolate, scenarios.ZonePartition, scenarios.UplinkFlap:
		rec, err = b.isolate(ctx, f)
	case scenarios.NodeLinkDown:
		rec, err = b.linkDown(ctx, f)
	case scenarios.UplinkShape:
		rec, err = b.shape(ctx, f)
	case scenarios.PodKill:
		rec, err = b.podKill(ctx, f)
	case scenarios.ContainerKill:
		rec, err = b.containerKill(ctx, f)
	case scenarios.Stress:
		rec, err = b.stress(ctx, f)
	default:
		return nil, fmt.Errorf("fault %s: unknown kind %q", f.Name, f.Kind)
	}
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: Name, Reason: "the cluster's provider lacks the operation: " + err.Error()}
		}
		return nil, fmt.Errorf("injecting %s %q: %w", f.Kind, f.Name, err)
	}
	return rec, nil
}

// unsupported reports kinds the native backend can never inject, whatever
// the host.
func unsupported(f scenarios.Fault) (string, bool) {
	switch f.Kind {
	case scenarios.PodFailure:
		return "pod-failure needs the chaos-mesh backend (Chaos Mesh swaps the pods' images for a pause image); the native backend has no equivalent", false
	case scenarios.Stress:
		if f.Target != nil && f.Target.Pods != nil {
			return "stress inside pods needs the chaos-mesh backend (StressChaos runs stress-ng in the pods' cgroups); native stress runs only on whole nodes", false
		}
	}
	return "", true
}

// injection is one journaled injection in progress.
type injection struct {
	b     *Backend
	entry journal.Entry
}

// begin journals an injection before it happens. id may be "" when no
// rule or resource needs to carry it.
func (b *Backend) begin(ctx context.Context, f scenarios.Fault, id string, targets []string, actions []journal.Action) (*injection, error) {
	return b.beginCut(ctx, f, id, targets, actions, false)
}

// beginCut is begin for a fault that, when cut is true, cuts its nodes
// off from edgeproof: the nodes then apply and heal it by themselves
// (cutoff.go).
func (b *Backend) beginCut(ctx context.Context, f scenarios.Fault, id string, targets []string, actions []journal.Action, cut bool) (*injection, error) {
	e := journal.Entry{ID: id, Fault: f.Name, Kind: string(f.Kind), Backend: Name, Targets: targets, Recovery: actions}
	if cut {
		cutOffEntry(&e, f.Duration.Std())
	}
	id, err := b.Journal.Begin(e)
	if err != nil {
		return nil, err
	}
	e.ID = id
	in := &injection{b: b, entry: e}
	// Armed before the fault is applied, so that no moment exists when the
	// fault is in force on an unattended node and nothing there would end it.
	if err := b.armDeadMan(ctx, e, f.Duration.Std()); err != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), HealTimeout)
		defer cancel()
		return nil, errors.Join(err, in.heal(hctx))
	}
	return in, nil
}

// heal runs the entry's recovery and marks it healed; a fault that cut
// its nodes off is first waited out.
func (in *injection) heal(ctx context.Context) error {
	if in.entry.CutOff != nil {
		if err := in.awaitHealed(ctx); err != nil {
			return err
		}
	}
	if err := in.b.recovery.Recover(ctx, in.entry); err != nil {
		return err
	}
	return in.b.Journal.Healed(in.entry.ID)
}

// finish turns the outcome of an injection into the injector's result:
// after a failure it undoes whatever was done, even if ctx was cancelled;
// an instantaneous fault is healed (journal-wise) at once.
func (in *injection) finish(ctx context.Context, injectErr error, instant bool) (chaos.Recover, error) {
	if injectErr != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), HealTimeout)
		defer cancel()
		if err := in.heal(hctx); err != nil {
			return nil, fmt.Errorf("%w (and undoing it failed: %v; run edgeproof recover)", injectErr, err)
		}
		return nil, injectErr
	}
	if instant {
		if err := in.heal(ctx); err != nil {
			return nil, fmt.Errorf("completing %s: %w", in.entry.ID, err)
		}
		return chaos.Nop, nil
	}
	return in.heal, nil
}

// nodes returns the named nodes, failing on any missing one.
// targets returns a node fault's resolved target names and their nodes.
func (b *Backend) targets(ctx context.Context, f scenarios.Fault) ([]string, []*clusters.Node, error) {
	names, err := chaos.NodeNames(f)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := b.nodes(ctx, names)
	if err != nil {
		return nil, nil, err
	}
	return names, nodes, guard(f, nodes)
}

// guard refuses a fault on a node its owner did not opt in to faults, or
// on a control-plane node unless the fault's target allows it.
func guard(f scenarios.Fault, nodes []*clusters.Node) error {
	allow := f.Target != nil && f.Target.AllowControlPlane
	for _, n := range nodes {
		if err := clusters.Refusal(n.Guard(), allow); err != nil {
			return err
		}
	}
	return nil
}

func (b *Backend) nodes(ctx context.Context, names []string) ([]*clusters.Node, error) {
	all, err := b.Cluster.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*clusters.Node{}
	for _, n := range all {
		byName[n.Name()] = n
	}
	out := make([]*clusters.Node, 0, len(names))
	for _, name := range names {
		n, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("cluster %q has no node %q", b.Cluster.Name, name)
		}
		out = append(out, n)
	}
	return out, nil
}

// each runs fn on every node at once, so that a fault hits a zone at the
// same moment and slow operations (a graceful stop) do not add up.
func each(ctx context.Context, nodes []*clusters.Node, fn func(context.Context, *clusters.Node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = fn(ctx, n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
