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
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/fixtures/accounting"
	"github.com/edgeproof/edgeproof/fixtures/images"
	"github.com/edgeproof/edgeproof/fixtures/mutants"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// Options configure Run.
type Options struct {
	// Cluster is the cluster to run on.
	Cluster *clusters.Cluster
	// RepoRoot is the edgeproof source tree the fixture images are built
	// from.
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

// Run runs sc (loaded from file, for the report's hash) on o.Cluster. A
// scenario the cluster or host cannot run is returned with state skipped
// and the reason; the error is for runs that could not complete. Whatever
// happens, faults that were injected are healed and the workload is torn
// down (unless o.Keep) before Run returns.
func Run(ctx context.Context, sc *scenarios.Scenario, file string, o Options) (res *Result, err error) {
	if sc, err = withProfile(sc, o.Profile); err != nil {
		return nil, err
	}
	var mut *mutants.Mutant
	if o.Mutant != "" {
		m, err := CheckMutant(o.Mutant, sc)
		if err != nil {
			return nil, err
		}
		mut, sc = &m, mutateScenario(sc, m)
	}
	o.defaults(sc)
	start := time.Now()
	res = &Result{Scenario: reports.Scenario{Name: sc.Metadata.Name, File: file, Started: start}}
	for k, v := range sc.Metadata.Labels {
		res.Scenario.Labels = append(res.Scenario.Labels, k+"="+v)
	}
	if file != "" {
		if data, rerr := os.ReadFile(file); rerr == nil {
			sum := sha256.Sum256(data)
			res.Scenario.FileSHA256 = hex.EncodeToString(sum[:])
		}
	}
	say := func(format string, args ...any) {
		fmt.Fprintf(o.Out, "[%6.1fs] %s: %s\n", time.Since(start).Seconds(), sc.Metadata.Name, fmt.Sprintf(format, args...))
	}
	// cleanupErr holds what went wrong tearing down: a caught mutant's run
	// failure is its expected outcome, a failed teardown never is.
	var cleanupErr error
	defer func() {
		res.Scenario.Duration = reports.Duration(time.Since(start))
		if err != nil && res.Scenario.State == "" {
			res.Scenario.State, res.Scenario.Failure = reports.StateFailed, err.Error()
		}
		if mut != nil && res.Scenario.State != "" {
			if res.Leaks == nil {
				// A mutant run that failed early skipped the leak check.
				leaks, lerr := leak.Check(context.WithoutCancel(ctx), o.Cluster)
				res.Leaks, cleanupErr = leaks, errors.Join(cleanupErr, lerr)
			}
			judgeMutant(res, *mut, say)
			if res.Scenario.Mutant.Caught {
				err = cleanupErr
			}
		}
	}()

	cs, err := o.Cluster.Client()
	if err != nil {
		return res, err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return res, fmt.Errorf("listing nodes: %w", err)
	}
	if reason := unmet(sc.Requirements(), nodes.Items); reason != "" {
		return skip(res, say, o.Profile, reason), nil
	}

	ns := fmt.Sprintf("ep-%s-%04x", trim(sc.Metadata.Name, 40), rand.Uint32()&0xffff)
	router, err := route.Open(ctx, o.Cluster, route.Options{Mode: o.Backend, Namespace: ns,
		Rand: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))})
	if err != nil {
		return res, fmt.Errorf("chaos backends: %w", err)
	}
	defer router.Close()
	if mut != nil && mut.Name == mutants.InjectorNoop {
		router.Wrap = func(b chaos.Backend) chaos.Backend { return noopBackend{Backend: b, j: router.Journal} }
	}

	img, err := buildImages(ctx, o, sc.Requirements().Toxiproxy, mut != nil && mut.Where == mutants.InImage, say)
	if err != nil {
		return res, err
	}
	spec, err := workload.FromScenario(sc, ns, img, workload.ZonesOf(nodes.Items))
	if mut != nil {
		mutateSpec(&spec, *mut)
		err = spec.Validate()
		say("MUTANT %s: %s", mut.Name, mut.Defect)
	}
	if err != nil {
		return res, err
	}
	say("deploying %d devices at %g msg/s over %d edge zones into namespace %s", spec.DevicesPerPod()*spec.SimPods(), spec.Rate, len(spec.Zones), ns)
	kc, err := o.Cluster.Klient()
	if err != nil {
		return res, err
	}
	w, err := workload.Deploy(ctx, kc, spec, o.DeployTimeout, func(s string) { say("%s", s) })
	if err != nil {
		return res, err
	}
	if !o.Keep {
		defer func() {
			tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*time.Minute)
			defer cancel()
			if o.OnFailure != nil && (err != nil || res.Scenario.State == reports.StateFailed) {
				o.OnFailure(tctx, ns)
			}
			if terr := w.Teardown(tctx, o.Cluster.RemoveDir); terr != nil {
				err = errors.Join(err, terr)
				cleanupErr = errors.Join(cleanupErr, terr)
			}
			say("workload torn down")
		}()
	}
	drv := &driver{w: w, cs: cs}

	// Preflight after deploying: pod targets only resolve against pods. A
	// missing capability skips; a check that could not be made fails.
	for _, f := range sc.Spec.Faults {
		ok, reason, err := preflight(ctx, router, drv, f)
		if err != nil {
			return res, fmt.Errorf("preflight of fault %s (%s): %w", f.Name, f.Kind, err)
		}
		if !ok {
			return skip(res, say, o.Profile, fmt.Sprintf("fault %s (%s): %s", f.Name, f.Kind, reason)), nil
		}
	}

	// A panic in the monitor aborts the run: the timeline heals what it
	// injected and the run fails with the stack.
	rctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	mctx, stopMonitor := context.WithCancel(rctx)
	defer stopMonitor()
	mon := newMonitor(w, o.Poll)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				pe, ok := v.(*panicError)
				if !ok {
					pe = newPanicError("the monitor", v)
				}
				abort(pe)
			}
		}()
		mon.run(mctx)
	}()
	probe := slo.NewRescheduleProbe(cs, ns, labels.SelectorFromSet(labels.Set{workload.LabelName: workload.DeviceSim}))
	if err := probe.Start(mctx); err != nil {
		return res, fmt.Errorf("reschedule probe: %w", err)
	}

	say("waiting for steady state (every node and fixture Ready, every device and gateway uplink connected, the sink receiving)")
	if err := waitSteady(rctx, mon, o.SteadyTimeout); err != nil {
		return res, aborted(rctx, err)
	}
	// Start-up waits (devices connecting) are not the scenario's outages.
	if err := w.ResetGaps(ctx); err != nil {
		say("resetting devicesim wait records: %v (longestOutage then includes start-up)", err)
	}
	t0 := time.Now()
	var base *accounting.Histogram
	if spec.Sink {
		if tr, err := mergedSink(ctx, w); err == nil {
			base = tr.Latency()
		} else {
			say("latency baseline: %v (latency then includes start-up)", err)
		}
	}
	say("steady; playing %d fault(s) over %s", len(sc.Spec.Faults), sc.Spec.Duration.Std())

	res.Scenario.Started = t0
	resolver := &chaos.Resolver{Kube: cs, Namespace: ns, Rand: rand.New(rand.NewPCG(o.Seed, 1))}
	checks := &healChecks{w: w, say: say}
	var inject injectFunc
	p := &player{t0: t0, log: say, inject: func(ctx context.Context, f scenarios.Fault) (injected, error) {
		i := checks.occurrence(f.Name)
		in, err := inject(ctx, f)
		if err == nil && needsConsistency(sc.Spec.Objectives) {
			in.heal = checkAfter(in.heal, func() { checks.after(rctx, f.Name, i) })
		}
		return in, err
	}}
	inject = func(ctx context.Context, f scenarios.Fault) (injected, error) {
		if chaos.WorkloadKind(f) {
			return injectWorkload(ctx, f, drv, mon, resolver)
		}
		rf, err := resolver.Resolve(ctx, f)
		if err != nil {
			return injected{}, err
		}
		targets := targetNames(rf)
		if rf.Target != nil && len(rf.Target.Nodes) > 0 {
			if perr := probe.FaultStarted(f.Name, time.Now(), rf.Target.Nodes); perr != nil {
				say("reschedule probe: %v", perr)
			}
		}
		in, err := router.InjectAndProve(ctx, rf)
		if err == nil {
			say("fault %s in force: %s", f.Name, strings.Join(in.Evidence, "; "))
		}
		return injected{targets: targets, backend: in.Backend, evidence: in.Evidence, heal: in.Heal}, err
	}
	playErr := p.play(rctx, schedule(sc.Spec.Faults))
	res.Played = p.Played()
	res.Scenario.FaultEvents = faultEvents(res.Played)
	if playErr != nil {
		return res, aborted(rctx, playErr)
	}
	if !sleepUntil(rctx, t0.Add(sc.Spec.Duration.Std())) {
		return res, aborted(rctx, fmt.Errorf("run interrupted: %w", context.Cause(rctx)))
	}

	say("run over; stopping the devices and draining what they hold")
	drainErr := drain(ctx, w, mon, o.DrainTimeout, say)
	if drainErr != nil {
		say("drain: %v", drainErr)
	}
	if mut != nil {
		sayDiscarded(ctx, w, say)
	}
	stopMonitor()
	if perr := aborted(rctx, nil); perr != nil {
		return res, perr // the monitor panicked while the devices drained
	}
	m, err := measure(ctx, sc, w, mon, probe, res.Played, t0, base, checks, o.Cluster.ReadFiles, say)
	if err != nil {
		return res, err
	}
	res.Scenario.Verdicts = slo.Judge(sc.Spec.Objectives, m)
	res.Scenario.Series = append(mon.series(), probe.Series())

	leaks, lerr := leak.Check(context.WithoutCancel(ctx), o.Cluster)
	res.Leaks = leaks
	if lerr != nil {
		return res, fmt.Errorf("leak check: %w", lerr)
	}
	res.Scenario.State = reports.StatePassed
	var failed []string
	for _, v := range res.Scenario.Verdicts {
		if !v.Pass {
			failed = append(failed, v.Objective)
		}
	}
	if len(leaks) > 0 {
		failed = append(failed, "leak check: "+strings.Join(leaks, "; "))
	}
	if drainErr != nil {
		failed = append(failed, "drain: "+drainErr.Error())
	}
	if len(failed) > 0 {
		res.Scenario.State = reports.StateFailed
		res.Scenario.Failure = "objectives not met: " + strings.Join(failed, ", ")
	}
	for _, v := range res.Scenario.Verdicts {
		say("%s", v.Line())
	}
	say("%s", strings.ToUpper(string(res.Scenario.State)))
	return res, nil
}

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
	loaded map[string]string // cluster name -> archive loaded
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
		built.mutant = mutant
	}
	b := built.images
	if built.loaded[o.Cluster.Name] != b.Archive {
		say("loading fixture images into the nodes")
		if err := o.Cluster.LoadImageArchives(ctx, b.Archives); err != nil {
			return workload.Images{}, err
		}
		built.loaded[o.Cluster.Name] = b.Archive
	}
	return workload.Images{Broker: b.Refs["edgeproof-broker"], Gateway: b.Refs["edgeproof-gateway"],
		DeviceSim: b.Refs["edgeproof-devicesim"], Sink: b.Refs["edgeproof-sink"], Toxiproxy: b.Refs[images.Toxiproxy]}, nil
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
		in.evidence = append(in.evidence, fmt.Sprintf("fewest %s pods serving while it rolled: %s", f.Rollout.Fixture, in.minReady))
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
		if time.Now().After(deadline) {
			return fmt.Errorf("the workload did not reach steady state within %s: %s", timeout, strings.Join(blockers, "; "))
		}
		if !sleepUntil(ctx, time.Now().Add(500*time.Millisecond)) {
			return ctx.Err()
		}
	}
}
