package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/fixtures/accounting"
	"github.com/edgeproof/edgeproof/fixtures/mutants"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// Run runs sc (loaded from file, for the report's hash) on o.Cluster. A
// scenario the cluster or host cannot run is returned with state skipped
// and the reason; the error is for runs that could not complete. Whatever
// happens, faults that were injected are healed and the workload is torn
// down (unless o.Keep) before Run returns.
//
// A run is the ordered list of steps below; each one that sets something
// up pushes how to undo it, and the undo steps run in reverse order after
// the last step, however the steps ended.
func Run(ctx context.Context, sc *scenarios.Scenario, file string, o Options) (*Result, error) {
	r, err := newRun(ctx, sc, file, o)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"check the cluster's nodes against the scenario", r.checkNodes},
		{"open the chaos backends", r.openBackends},
		{"build the images and deploy the workload", r.deploy},
		{"preflight every fault", r.preflightFaults},
		{"start the monitor and the reschedule probe", r.startMonitor},
		{"wait for steady state", r.waitSteady},
		{"play the fault timeline", r.playFaults},
		{"drain what the devices and gateways hold", r.drainPipeline},
		{"judge the objectives and check for leaks", r.judge},
	}
	for _, s := range steps {
		if err = s.do(); err != nil {
			break
		}
	}
	if errors.Is(err, errSkipped) {
		err = nil
	}
	err = r.unwind(err)
	return r.res, r.finish(err)
}

// errSkipped ends the steps of a run the cluster or host cannot make; the
// reason is in the result.
var errSkipped = errors.New("skipped")

// run holds what the steps of one Run share.
type run struct {
	ctx   context.Context
	sc    *scenarios.Scenario
	o     Options
	mut   *mutants.Mutant
	res   *Result
	start time.Time
	say   func(string, ...any)
	// undo is what the steps set up, undone in reverse order by unwind.
	undo []func(err error) error
	// declared is the scenario's own defect (spec.defect), judged like a
	// mutant but planted by nobody.
	declared *mutants.Mutant
	// cleanupErr holds what went wrong tearing down: a caught mutant's run
	// failure is its expected outcome, a failed teardown never is.
	cleanupErr error

	cs      kubernetes.Interface
	nodes   []corev1.Node
	ns      string
	router  *route.Router
	w       *workload.Workload
	drv     *driver
	rctx    context.Context // ends when the monitor panics
	abort   context.CancelCauseFunc
	stopMon context.CancelFunc
	mon     *monitor
	probe   *slo.RescheduleProbe
	// podProbes time the pods reschedule objectives select, by selector.
	podProbes map[string]*slo.RescheduleProbe
	t0        time.Time
	base      *accounting.Histogram
	checks    *healChecks
	drainErr  error
	// probed is each probe's availability, read when the run ends.
	probed map[string]slo.Availability
}

// newRun applies the budget profile and the mutant, and starts the result.
func newRun(ctx context.Context, sc *scenarios.Scenario, file string, o Options) (*run, error) {
	sc, err := withProfile(sc, o.Profile)
	if err != nil {
		return nil, err
	}
	r := &run{ctx: ctx, o: o, start: time.Now()}
	if sc.Spec.Defect != nil {
		if o.Mutant != "" {
			return nil, fmt.Errorf("scenario %s declares its own defect (spec.defect); run it without a mutant", sc.Metadata.Name)
		}
		d := mutants.Declared(sc)
		r.declared = &d
	}
	if o.Mutant != "" {
		m, err := CheckMutant(o.Mutant, sc)
		if err != nil {
			return nil, err
		}
		r.mut, sc = &m, mutateScenario(sc, m)
	}
	r.o.defaults(sc)
	if r.o.RepoRoot == "" {
		root, err := repo.Root()
		if err != nil {
			return nil, fmt.Errorf("the edgeproof sources the fixture images are built from: %w", err)
		}
		r.o.RepoRoot = root
	}
	r.sc = sc
	r.res = &Result{Scenario: reports.Scenario{Name: sc.Metadata.Name, File: file, Started: r.start}}
	for k, v := range sc.Metadata.Labels {
		r.res.Scenario.Labels = append(r.res.Scenario.Labels, k+"="+v)
	}
	if file != "" {
		if data, rerr := os.ReadFile(file); rerr == nil {
			sum := sha256.Sum256(data)
			r.res.Scenario.FileSHA256 = hex.EncodeToString(sum[:])
		}
	}
	r.say = func(format string, args ...any) {
		fmt.Fprintf(r.o.Out, "[%6.1fs] %s: %s\n", time.Since(r.start).Seconds(), sc.Metadata.Name, fmt.Sprintf(format, args...))
	}
	return r, nil
}

// unwind runs the undo steps in reverse order and joins their errors to
// err.
func (r *run) unwind(err error) error {
	for i := len(r.undo) - 1; i >= 0; i-- {
		if uerr := r.undo[i](err); uerr != nil {
			err = errors.Join(err, uerr)
			r.cleanupErr = errors.Join(r.cleanupErr, uerr)
		}
	}
	return err
}

// finish records the duration and an error as the failure, and judges a
// mutant run: caught, its only error is a failed cleanup.
func (r *run) finish(err error) error {
	res := r.res
	res.Scenario.Duration = reports.Duration(time.Since(r.start))
	if err != nil && res.Scenario.State == "" {
		res.Scenario.State, res.Scenario.Failure = reports.StateFailed, err.Error()
	}
	judged := r.mut
	if judged == nil {
		judged = r.declared
	}
	if judged != nil && res.Scenario.State != "" {
		if res.Leaks == nil {
			// A mutant run that failed early skipped the leak check.
			leaks, lerr := leak.Check(context.WithoutCancel(r.ctx), r.o.Cluster)
			res.Leaks, r.cleanupErr = leaks, errors.Join(r.cleanupErr, lerr)
		}
		judgeMutant(res, *judged, r.say)
		if res.Scenario.Mutant.Caught {
			return r.cleanupErr
		}
	}
	return err
}

// skip ends the steps with the scenario skipped for reason (or failed,
// when the budget profile requires it to run).
func (r *run) skip(reason string) error {
	skip(r.res, r.say, r.o.Profile, reason)
	return errSkipped
}

func (r *run) checkNodes() error {
	cs, err := r.o.Cluster.Client()
	if err != nil {
		return err
	}
	nodes, err := cs.CoreV1().Nodes().List(r.ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	r.cs, r.nodes = cs, nodes.Items
	if reason := unmet(r.sc.Requirements(), r.nodes); reason != "" {
		return r.skip(reason)
	}
	return nil
}

func (r *run) openBackends() error {
	r.ns = fmt.Sprintf("ep-%s-%04x", trim(r.sc.Metadata.Name, 40), rand.Uint32()&0xffff)
	router, err := route.Open(r.ctx, r.o.Cluster, route.Options{Mode: r.o.Backend, Namespace: r.ns,
		Rand: rand.New(rand.NewPCG(r.o.Seed, r.o.Seed^0x9e3779b97f4a7c15))})
	if err != nil {
		return fmt.Errorf("chaos backends: %w", err)
	}
	r.router = router
	r.undo = append(r.undo, func(error) error { router.Close(); return nil })
	if r.mut != nil && r.mut.Name == mutants.InjectorNoop {
		router.Wrap = func(b chaos.Backend) chaos.Backend { return noopBackend{Backend: b, j: router.Journal} }
	}
	return nil
}

func (r *run) deploy() error {
	app, err := r.prepareApp()
	if err != nil {
		return err
	}
	mut := r.mut
	img, err := buildImages(r.ctx, r.o, r.sc.Requirements().Toxiproxy, mut != nil && mut.Where == mutants.InImage, r.say)
	if err != nil {
		return err
	}
	spec, err := workload.FromScenario(r.sc, r.ns, img, workload.ZonesOf(r.nodes), app)
	if mut != nil {
		// Mutant images are refused until the spec names its mutant, so
		// validate again once the defect is in.
		mutateSpec(&spec, *mut)
		err = spec.Validate()
		r.say("MUTANT %s: %s", mut.Name, mut.Defect)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.sc.Source(), err)
	}
	if spec.DeviceSim {
		r.say("deploying %d devices at %g msg/s over %d edge zones into namespace %s", spec.DevicesPerPod()*spec.SimPods(), spec.Rate, len(spec.Zones), r.ns)
	} else {
		r.say("deploying into namespace %s (no simulated devices)", r.ns)
	}
	kc, err := r.o.Cluster.Klient()
	if err != nil {
		return err
	}
	w, err := workload.Deploy(r.ctx, kc, spec, r.o.DeployTimeout, func(s string) { r.say("%s", s) })
	if err != nil {
		return err
	}
	r.w, r.drv = w, &driver{w: w, cs: r.cs}
	if !r.o.Keep {
		r.undo = append(r.undo, r.teardown)
	}
	return nil
}

// teardown removes the workload, first letting the caller collect what a
// failed run left in its namespace.
func (r *run) teardown(err error) error {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 4*time.Minute)
	defer cancel()
	if r.o.OnFailure != nil && (err != nil || r.res.Scenario.State == reports.StateFailed) {
		r.o.OnFailure(tctx, r.ns)
	}
	terr := r.w.Teardown(tctx, r.o.Cluster.RemoveDir)
	r.say("workload torn down")
	return terr
}

// preflightFaults runs after deploying: pod targets only resolve against
// pods. A missing capability skips; a check that could not be made fails.
func (r *run) preflightFaults() error {
	for _, f := range r.sc.Spec.Faults {
		ok, reason, err := preflight(r.ctx, r.router, r.drv, f)
		if err != nil {
			return fmt.Errorf("preflight of fault %s (%s): %w", f.Name, f.Kind, err)
		}
		if !ok {
			return r.skip(fmt.Sprintf("fault %s (%s): %s", f.Name, f.Kind, reason))
		}
	}
	return nil
}

// startMonitor starts sampling. A panic in the monitor aborts the run: the
// timeline heals what it injected and the run fails with the stack.
func (r *run) startMonitor() error {
	r.rctx, r.abort = context.WithCancelCause(r.ctx)
	mctx, stop := context.WithCancel(r.rctx)
	r.stopMon = stop
	r.undo = append(r.undo, func(error) error { r.abort(nil); stop(); return nil })
	r.mon = newMonitor(r.w, r.o.Poll)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				pe, ok := v.(*panicError)
				if !ok {
					pe = newPanicError("the monitor", v)
				}
				r.abort(pe)
			}
		}()
		r.mon.run(mctx)
	}()
	r.probe = slo.NewRescheduleProbe(r.cs, r.ns, labels.SelectorFromSet(labels.Set{workload.LabelName: workload.DeviceSim}))
	if err := r.probe.Start(mctx); err != nil {
		return fmt.Errorf("reschedule probe: %w", err)
	}
	// One more probe per set of pods a reschedule objective selects.
	r.podProbes = map[string]*slo.RescheduleProbe{}
	for _, o := range r.sc.Spec.Objectives {
		sel := o.PodSelector()
		if sel == "" || r.podProbes[sel] != nil {
			continue
		}
		p := slo.NewRescheduleProbe(r.cs, r.ns, labels.SelectorFromSet(o.Selector))
		if err := p.Start(mctx); err != nil {
			return fmt.Errorf("reschedule probe for %s: %w", sel, err)
		}
		r.podProbes[sel] = p
	}
	return nil
}

func (r *run) waitSteady() error {
	r.say("waiting for steady state (every node and workload object Ready, every device and gateway uplink connected, the sink receiving)")
	if err := waitSteady(r.rctx, r.mon, r.o.SteadyTimeout); err != nil {
		return aborted(r.rctx, err)
	}
	// Start-up waits (devices connecting) are not the scenario's outages.
	if err := r.w.ResetGaps(r.ctx); err != nil {
		r.say("resetting devicesim wait records: %v (longestOutage then includes start-up)", err)
	}
	if err := r.w.ResetProbes(r.ctx); err != nil {
		r.say("resetting the prober: %v (its probes then include start-up)", err)
	}
	// The run's first sample must follow the reset: the window's baseline
	// is the last sample before t0, and a wait is counted only where it
	// exceeds that baseline, so a pre-reset sample carrying a long start-up
	// wait would hide every shorter outage of the whole run.
	r.mon.sample(r.rctx)
	r.t0 = time.Now()
	if r.w.Spec.Sink {
		if tr, err := mergedSink(r.ctx, r.w); err == nil {
			r.base = tr.Latency()
		} else {
			r.say("latency baseline: %v (latency then includes start-up)", err)
		}
	}
	r.say("steady; playing %d fault(s) over %s", len(r.sc.Spec.Faults), r.sc.Spec.Duration.Std())
	r.res.Scenario.Started = r.t0
	return nil
}

func (r *run) playFaults() error {
	resolver := &chaos.Resolver{Kube: r.cs, Namespace: r.ns, Rand: rand.New(rand.NewPCG(r.o.Seed, 1)), Eligible: r.o.Cluster.GuardNode}
	r.checks = &healChecks{w: r.w, say: r.say}
	p := &player{t0: r.t0, log: r.say, inject: func(ctx context.Context, f scenarios.Fault) (injected, error) {
		i := r.checks.occurrence(f.Name)
		in, err := r.inject(ctx, f, resolver)
		if err == nil && needsConsistency(r.sc.Spec.Objectives) {
			in.heal = checkAfter(in.heal, func() { r.checks.after(r.rctx, f.Name, i) })
		}
		return in, err
	}, applied: func(fault string, t time.Time) {
		// Reactions are timed from when the node applied the fault.
		for _, pr := range r.rescheduleProbes() {
			pr.FaultApplied(fault, t)
		}
	}}
	playErr := p.play(r.rctx, schedule(r.sc.Spec.Faults))
	r.res.Played = p.Played()
	r.res.Scenario.FaultEvents = faultEvents(r.res.Played)
	if playErr != nil {
		return aborted(r.rctx, playErr)
	}
	if !sleep.Until(r.rctx, r.t0.Add(r.sc.Spec.Duration.Std())) {
		return aborted(r.rctx, fmt.Errorf("run interrupted: %w", context.Cause(r.rctx)))
	}
	return nil
}

// inject performs one fault: a workload action through the driver, any
// other through the chaos router, which shows it in force.
func (r *run) inject(ctx context.Context, f scenarios.Fault, resolver *chaos.Resolver) (injected, error) {
	if chaos.WorkloadKind(f) {
		return injectWorkload(ctx, f, r.drv, r.mon, resolver)
	}
	rf, err := resolver.Resolve(ctx, f)
	if err != nil {
		return injected{}, err
	}
	targets := targetNames(rf)
	if rf.Target != nil && len(rf.Target.Nodes) > 0 {
		now := time.Now()
		for _, p := range r.rescheduleProbes() {
			if perr := p.FaultStarted(f.Name, now, rf.Target.Nodes); perr != nil {
				r.say("reschedule probe: %v", perr)
			}
		}
	}
	in, err := r.router.InjectAndProve(ctx, rf)
	if err == nil {
		r.say("fault %s in force: %s", f.Name, strings.Join(in.Evidence, "; "))
	}
	return injected{targets: targets, backend: in.Backend, evidence: in.Evidence, heal: in.Heal}, err
}

// rescheduleProbes is every reschedule probe of the run.
func (r *run) rescheduleProbes() []*slo.RescheduleProbe {
	out := []*slo.RescheduleProbe{r.probe}
	for _, p := range r.podProbes {
		out = append(out, p)
	}
	return out
}

// addPodReschedules puts what the selector probes timed into each fault
// occurrence's result.
func (r *run) addPodReschedules(m slo.Measurements) {
	for sel, p := range r.podProbes {
		for name, results := range m.Faults {
			rs := p.Results(name)
			for i := range results {
				if i >= len(rs) {
					break
				}
				if results[i].PodReschedule == nil {
					results[i].PodReschedule = map[string]slo.Reschedule{}
				}
				results[i].PodReschedule[sel] = rs[i]
			}
		}
	}
}

// drainPipeline stops the devices and waits for what they and the
// gateways hold. A drain that times out fails the run in judge, after
// everything else is measured.
func (r *run) drainPipeline() error {
	r.readProbes()
	r.say("run over; stopping the devices and draining what they hold")
	r.drainErr = drain(r.ctx, r.w, r.mon, r.o.DrainTimeout, r.say)
	if r.drainErr != nil {
		r.say("drain: %v", r.drainErr)
	}
	if r.mut != nil {
		sayDiscarded(r.ctx, r.w, r.say)
	}
	r.stopMon()
	return aborted(r.rctx, nil) // the monitor panicked while the devices drained
}

func (r *run) judge() error {
	res := r.res
	m, err := measure(r.ctx, r.sc, r.w, r.mon, r.probe, res.Played, r.t0, r.base, r.checks, r.o.Cluster.ReadFiles, r.say)
	if err != nil {
		return err
	}
	r.addPodReschedules(m)
	m.Run.Probes = r.probed
	res.Scenario.Verdicts = slo.Judge(r.sc.Spec.Objectives, m)
	res.Scenario.Series = append(r.mon.series(), r.probe.Series())

	leaks, lerr := leak.Check(context.WithoutCancel(r.ctx), r.o.Cluster)
	res.Leaks = leaks
	if lerr != nil {
		return fmt.Errorf("leak check: %w", lerr)
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
	if r.drainErr != nil {
		failed = append(failed, "drain: "+r.drainErr.Error())
	}
	if len(failed) > 0 {
		res.Scenario.State = reports.StateFailed
		res.Scenario.Failure = "objectives not met: " + strings.Join(failed, ", ")
	}
	for _, v := range res.Scenario.Verdicts {
		r.say("%s", v.Line())
	}
	r.say("%s", strings.ToUpper(string(res.Scenario.State)))
	return nil
}
