// Package engine runs one scenario end to end on a real cluster: it checks
// that the cluster and host can run it, deploys the IoT workload, waits for
// steady state, plays the fault timeline (always healing), lets traffic
// drain, judges the objectives and tears the workload down. `edgeproof
// run` and the Ginkgo suites both drive it, so a scenario means the same
// thing in both.
package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/fixtures/images"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Options configure Run.
type Options struct {
	// Cluster is the cluster to run on.
	Cluster *clusters.Cluster
	// RepoRoot is the edgeproof source tree the fixture images are built
	// from; empty means the checkout holding the working directory, or the
	// edgeproof module a user's own module requires.
	RepoRoot string
	// Backend is the --chaos-backend setting.
	Backend route.Mode
	// Out receives the live timeline; nil discards it.
	Out io.Writer
	// Keep leaves the workload deployed after the run, for debugging.
	Keep bool
	// Poll is the sampling period; 0 means one second.
	Poll time.Duration
	// DeployTimeout bounds deploying the workload; 0 means 5 minutes.
	DeployTimeout time.Duration
	// SteadyTimeout bounds the wait for steady state before the timeline;
	// 0 means 3 minutes.
	SteadyTimeout time.Duration
	// DrainTimeout bounds the wait for buffered messages to reach the sink
	// after the devices stop; 0 means 3 minutes.
	DrainTimeout time.Duration
	// Seed makes target picks reproducible; 0 derives it from the
	// scenario's name.
	Seed uint64
	// Profile, when set, replaces the scenario's budgets with its stricter
	// ones before the run (see scenarios.Profile); the caller's scenario is
	// not modified.
	Profile *scenarios.Profile
	// Mutant, when set, plays the scenario against a planted defect of the
	// mutation suite (fixtures/mutants); the run must then fail. Check it
	// first with CheckMutant.
	Mutant string
	// OnFailure, when set, is called before the workload is torn down if
	// the run failed or errored, with the workload's namespace, so callers
	// can collect pods, events and node logs while they still exist.
	OnFailure func(ctx context.Context, namespace string)
}

func (o *Options) defaults(sc *scenarios.Scenario) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.DeployTimeout == 0 {
		o.DeployTimeout = 5 * time.Minute
	}
	if o.SteadyTimeout == 0 {
		o.SteadyTimeout = 3 * time.Minute
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 3 * time.Minute
	}
	if o.Seed == 0 {
		h := sha256.Sum256([]byte(sc.Metadata.Name))
		for _, b := range h[:8] {
			o.Seed = o.Seed<<8 | uint64(b)
		}
	}
}

// Result is the outcome of one run.
type Result struct {
	// Scenario is the report entry: state, verdicts, fault events, series.
	Scenario reports.Scenario
	// Played are the fault occurrences as injected and healed.
	Played []Occurrence
	// Leaks lists what the leak check found after the run (empty: clean).
	Leaks []string
}

// Passed reports whether the run completed and met every objective.
func (r *Result) Passed() bool { return r.Scenario.State == reports.StatePassed }

// aborted puts a panic that aborted the run before err, which is then only
// its consequence.
func aborted(ctx context.Context, err error) error {
	var pe *panicError
	if errors.As(context.Cause(ctx), &pe) && (err == nil || !errors.As(err, &pe)) {
		return errors.Join(pe, err)
	}
	return err
}

// skip marks the run skipped with the reason, or failed when the budget
// profile says this scenario must run.
func skip(res *Result, say func(string, ...any), p *scenarios.Profile, reason string) *Result {
	if p.Requires(res.Scenario.Name) {
		res.Scenario.State = reports.StateFailed
		res.Scenario.Failure = fmt.Sprintf("skipped, but profile %s requires it to run: %s", p.Metadata.Name, reason)
		say("FAILED: %s", res.Scenario.Failure)
		return res
	}
	res.Scenario.State, res.Scenario.SkipReason = reports.StateSkipped, reason
	say("SKIPPED: %s", reason)
	return res
}

// built remembers, per process, the fixture images built and the clusters
// they were loaded into: a suite runs many scenarios from one checkout.
var built struct {
	sync.Mutex
	root   string
	proxy  bool   // the toxiproxy image is among them
	mutant bool   // built with the mutation suite's defects
	archs  string // the architectures built, comma-separated
	images images.Built
	loaded map[string]string            // cluster name -> archive loaded
	refs   map[string]map[string]string // cluster name -> references it pulls by
}

// buildImages builds the fixture images, and the toxiproxy image when
// proxy is set, and loads them into the cluster's nodes.
func buildImages(ctx context.Context, o Options, proxy, mutant bool, say func(string, ...any)) (workload.Images, error) {
	built.Lock()
	defer built.Unlock()
	// One build per architecture of the cluster's nodes (arm64 QEMU nodes
	// beside amd64 kind nodes), all under the same references.
	archs, err := o.Cluster.Archs(ctx)
	if err != nil {
		return workload.Images{}, err
	}
	if len(archs) == 0 {
		archs = []string{runtime.GOARCH}
	}
	archKey := strings.Join(archs, ",")
	if built.root != o.RepoRoot || (proxy && !built.proxy) || built.archs != archKey || built.mutant != mutant {
		say("building fixture images for %s", archKey)
		names := images.Fixtures
		if proxy {
			// Only scenarios with proxy-layer faults pay for the first
			// toxiproxy build (a module download); later ones keep it.
			names = append(slices.Clone(names), images.Toxiproxy)
		}
		build := images.BuildFor
		if mutant {
			build = images.BuildMutants
		}
		b, err := build(ctx, o.RepoRoot, archs, names...)
		if err != nil {
			return workload.Images{}, fmt.Errorf("fixture images: %w", err)
		}
		built.root, built.proxy, built.archs, built.images, built.loaded = o.RepoRoot, proxy, archKey, b, map[string]string{}
		built.refs = map[string]map[string]string{}
		built.mutant = mutant
	}
	b := built.images
	if built.loaded[o.Cluster.Name] != b.Archive {
		say("loading fixture images into the nodes")
		refs, err := o.Cluster.PublishImages(ctx, b.Archives)
		if err != nil {
			return workload.Images{}, err
		}
		built.loaded[o.Cluster.Name], built.refs[o.Cluster.Name] = b.Archive, refs
	}
	// A cluster whose nodes pull from a registry knows them by the pushed
	// references.
	ref := func(n string) string {
		if r, ok := built.refs[o.Cluster.Name][b.Refs[n]]; ok {
			return r
		}
		return b.Refs[n]
	}
	return workload.Images{Broker: ref("edgeproof-broker"), Gateway: ref("edgeproof-gateway"),
		DeviceSim: ref("edgeproof-devicesim"), Sink: ref("edgeproof-sink"), Prober: ref("edgeproof-prober"), Toxiproxy: ref(images.Toxiproxy)}, nil
}

// injectWorkload performs a fault the workload driver does (device load
// and storms, rolling updates, proxy-layer uplink faults).
func injectWorkload(ctx context.Context, f scenarios.Fault, drv *driver, mon *monitor, resolver *chaos.Resolver) (injected, error) {
	in := injected{backend: "workload"}
	switch {
	case f.Kind == scenarios.RollingUpdate:
		fewest, err := drv.rollout(ctx, f.Rollout)
		if err != nil {
			return in, err
		}
		in.heal, in.minReady = chaos.Nop, fewest
	case f.Kind == scenarios.DeviceLoad:
		mon.setFactor(f.Load.Factor)
		heal, err := drv.inject(ctx, f)
		if err != nil {
			mon.setFactor(1)
			return in, err
		}
		in.heal = func(ctx context.Context) error { mon.setFactor(1); return heal(ctx) }
	case !needsNodes(f):
		heal, err := drv.inject(ctx, f)
		if err != nil {
			return in, err
		}
		in.heal = heal
	default:
		// Proxy-layer uplink faults act on the gateways of the target's
		// nodes, resolved as for node faults.
		rf, err := resolver.Resolve(ctx, f)
		if err != nil {
			return in, err
		}
		in.targets = targetNames(rf)
		heal, err := drv.inject(ctx, rf)
		if err != nil {
			return in, err
		}
		in.heal = heal
	}
	ev, err := drv.evidence(ctx, f, in.targets)
	if err != nil {
		return in, chaos.Undo(ctx, in.heal, err)
	}
	in.evidence = ev
	if f.Kind == scenarios.RollingUpdate {
		in.evidence = append(in.evidence, fmt.Sprintf("fewest %s pods serving while it rolled: %s", f.Rollout.Rolled(), in.minReady))
	}
	return in, nil
}

// preflight asks the workload driver or the chaos backends.
func preflight(ctx context.Context, r *route.Router, d *driver, f scenarios.Fault) (bool, string, error) {
	if chaos.WorkloadKind(f) {
		ok, reason := d.preflight(f)
		return ok, reason, nil
	}
	return r.Preflight(ctx, f)
}

// unmet says why the cluster cannot run a scenario with requirements r;
// empty when it can.
func unmet(r scenarios.Requirements, nodes []corev1.Node) string {
	var edge int32
	zones := map[string]bool{}
	arches := map[string]bool{}
	qemu := false
	for _, n := range nodes {
		if n.Labels[clusters.LabelTier] != clusters.TierEdge {
			continue
		}
		edge++
		zones[n.Labels[clusters.LabelZone]] = true
		arches[n.Status.NodeInfo.Architecture] = true
		qemu = qemu || n.Labels[clusters.LabelProvider] == string(scenarios.ProviderQEMU)
	}
	switch {
	case edge < r.MinNodes:
		return fmt.Sprintf("needs %d edge nodes, the cluster has %d", r.MinNodes, edge)
	case int32(len(zones)) < r.MinZones:
		return fmt.Sprintf("needs %d edge zones, the cluster has %d", r.MinZones, len(zones))
	case r.Arch != "" && !arches[string(r.Arch)]:
		return fmt.Sprintf("needs %s edge nodes, the cluster has none (the qemu provider adds arm64 nodes)", r.Arch)
	case r.Provider == scenarios.ProviderQEMU && !qemu:
		return "needs QEMU edge nodes, the cluster has none (topology arm64Nodes; make e2e-qemu)"
	}
	return ""
}

func targetNames(f scenarios.Fault) []string {
	if f.Target == nil {
		return nil
	}
	if len(f.Target.Nodes) > 0 {
		return f.Target.Nodes
	}
	if names, err := chaos.PodNames(f); err == nil {
		var out []string
		for _, n := range names {
			out = append(out, n.String())
		}
		return out
	}
	return nil
}

func trim(s string, n int) string {
	if len(s) > n {
		return strings.TrimRight(s[:n], "-")
	}
	return s
}

// waitSteady waits until the monitor's last sample is steady and every
// gateway uplink is connected.
func waitSteady(ctx context.Context, m *monitor, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, blockers := m.startable()
		if ok {
			return nil
		}
		if why := m.cannotStart(); why != "" {
			hint := ""
			if m.w.Spec.Observe != nil {
				hint = "; check spec.observe (its json field paths, or spec.devices.json's) against what your pipeline delivers"
			}
			return fmt.Errorf("the workload cannot reach steady state: %s%s", why, hint)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the workload did not reach steady state within %s: %s", timeout, strings.Join(blockers, "; "))
		}
		if !sleep.Until(ctx, time.Now().Add(500*time.Millisecond)) {
			return ctx.Err()
		}
	}
}
