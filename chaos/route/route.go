// Package route picks the backend that injects each fault, as
// --chaos-backend asks: node faults always go native (Chaos Mesh acts on
// pods), pod faults go to Chaos Mesh or native by mode, and workload
// actions go back to the engine's workload driver.
package route

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/chaosmesh"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/chaos/proof"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Mode is the --chaos-backend setting.
type Mode string

const (
	// ModeAuto uses Chaos Mesh for pod faults when it is installed and
	// ready, the native backend otherwise.
	ModeAuto Mode = "auto"
	// ModeNative never uses Chaos Mesh: pod-failure and stress in pods
	// are then unsupported.
	ModeNative Mode = "native"
	// ModeChaosMesh uses Chaos Mesh for pod faults and node-layer uplink
	// faults; node faults stay native.
	ModeChaosMesh Mode = "chaos-mesh"
)

// ParseMode checks a --chaos-backend value; "" means auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeNative, ModeChaosMesh:
		return m, nil
	}
	return "", fmt.Errorf("unknown chaos backend %q: use auto, native or chaos-mesh", s)
}

// Router is a chaos.Backend that sends each fault to the right backend.
type Router struct {
	// Mode is the --chaos-backend setting.
	Mode Mode
	// Native injects node faults, and pod faults without Chaos Mesh.
	Native *native.Backend
	// ChaosMesh injects pod faults; nil when not built (mode native).
	ChaosMesh *chaosmesh.Backend
	// Wrap, when set, wraps the backend chosen for every fault (the
	// mutation suite's do-nothing injector).
	Wrap func(chaos.Backend) chaos.Backend
	// Journal is the journal both backends write.
	Journal *journal.Journal
}

var _ chaos.Backend = (*Router)(nil)

// Options configure Open.
type Options struct {
	// Mode is the --chaos-backend setting; "" means auto.
	Mode Mode
	// Namespace is where the workload runs: pod selectors without
	// namespaces select there, and Chaos Mesh experiments are made there.
	Namespace string
	// Rand picks targets for modes one, fixed and percentages; nil is
	// time-seeded.
	Rand *rand.Rand
}

// Open builds the router for a cluster: its clients, its journal, the
// native backend and, unless mode is native, the Chaos Mesh backend
// (whether or not Chaos Mesh is installed: Preflight reports that). Close
// it to close the journal.
func Open(ctx context.Context, c *clusters.Cluster, o Options) (*Router, error) {
	mode, err := ParseMode(string(o.Mode))
	if err != nil {
		return nil, err
	}
	kube, err := c.Client()
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(c.Name)
	if err != nil {
		return nil, err
	}
	res := &chaos.Resolver{Kube: kube, Namespace: o.Namespace, Rand: o.Rand, Eligible: c.GuardNode}
	r := &Router{Mode: mode, Native: native.New(c, kube, j, res), Journal: j}
	if mode != ModeNative {
		cl, err := chaosmesh.NewClient(c)
		if err != nil {
			j.Close()
			return nil, err
		}
		r.ChaosMesh = chaosmesh.New(cl, kube, j, res, o.Namespace)
	}
	return r, nil
}

// Close closes the journal.
func (r *Router) Close() error {
	if r.Journal == nil {
		return nil
	}
	return r.Journal.Close()
}

// Name implements chaos.Backend.
func (r *Router) Name() string { return "route(" + string(r.Mode) + ")" }

// For returns the backend that injects f. Workload kinds return a
// *chaos.WorkloadFaultError.
func (r *Router) For(ctx context.Context, f scenarios.Fault) (chaos.Backend, error) {
	b, err := r.choose(ctx, f)
	if err != nil || r.Wrap == nil {
		return b, err
	}
	return r.Wrap(b), nil
}

// choose picks the backend for f (see For).
func (r *Router) choose(ctx context.Context, f scenarios.Fault) (chaos.Backend, error) {
	if chaos.WorkloadKind(f) {
		return nil, &chaos.WorkloadFaultError{Kind: f.Kind}
	}
	if r.ChaosMesh == nil || r.Mode == ModeNative {
		return r.Native, nil
	}
	switch f.Kind {
	case scenarios.PodKill, scenarios.ContainerKill:
		if r.Mode == ModeChaosMesh {
			return r.ChaosMesh, nil
		}
		// auto: Chaos Mesh when it is ready, else the native fallback.
		if ok, _, err := r.ChaosMesh.Preflight(ctx, f); ok && err == nil {
			return r.ChaosMesh, nil
		}
		return r.Native, nil
	case scenarios.PodFailure:
		return r.ChaosMesh, nil
	case scenarios.Stress:
		if f.Target != nil && f.Target.Pods != nil {
			return r.ChaosMesh, nil
		}
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		if r.Mode == ModeChaosMesh {
			return r.ChaosMesh, nil
		}
	}
	return r.Native, nil
}

// Inject implements chaos.Injector through the chosen backend.
func (r *Router) Inject(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	b, err := r.For(ctx, f)
	if err != nil {
		return nil, err
	}
	return b.Inject(ctx, f)
}

// Preflight implements chaos.Preflighter through the chosen backend. For
// Chaos Mesh network faults with delay or loss it also probes sch_netem on
// the target nodes natively, since chaos-daemon needs it too.
func (r *Router) Preflight(ctx context.Context, f scenarios.Fault) (bool, string, error) {
	b, err := r.For(ctx, f)
	if err != nil {
		return false, "", err
	}
	ok, reason, err := b.Preflight(ctx, f)
	if err != nil {
		return false, "", fmt.Errorf("%s preflight: %w", b.Name(), err)
	}
	if !ok {
		return false, b.Name() + ": " + reason, nil
	}
	if b.Name() == chaosmesh.Name && f.Kind == scenarios.UplinkShape && f.Uplink != nil && (f.Uplink.Delay != nil || f.Uplink.Loss != nil) {
		ok, reason, err := r.Native.CheckNetem(ctx, f)
		if err != nil {
			return false, "", fmt.Errorf("%s preflight: %w", b.Name(), err)
		}
		if !ok {
			return false, b.Name() + ": " + reason, nil
		}
	}
	return true, "", nil
}

// Injection is one fault injected through the router.
type Injection struct {
	// Backend is the name of the backend that injected it.
	Backend string
	// Heal undoes it.
	Heal chaos.Recover
	// Evidence are the lines that show it in force, checked from outside
	// after the injection; for an instantaneous fault, what the injector
	// completed.
	Evidence []string
}

// InjectAndProve injects f through the chosen backend and then shows it in
// force from the journal (proof.InForce). A fault that cannot be shown in
// force is healed and returned as an error: a fault that did not bite must
// not let its scenario pass.
func (r *Router) InjectAndProve(ctx context.Context, f scenarios.Fault) (Injection, error) {
	b, err := r.For(ctx, f)
	if err != nil {
		return Injection{}, err
	}
	before, err := r.pendingIDs()
	if err != nil {
		return Injection{}, err
	}
	heal, err := b.Inject(ctx, f)
	if err != nil {
		return Injection{}, err
	}
	in := Injection{Backend: b.Name(), Heal: heal}
	if f.Kind.Instant() {
		// Over when Inject returned: the journal entry is closed already,
		// and the native injector checked the effect itself.
		in.Evidence = []string{instantEvidence(f.Kind, b.Name())}
		return in, nil
	}
	pending, err := r.Journal.Pending()
	if err == nil {
		in.Evidence, err = r.prove(ctx, f, b.Name(), before, pending)
	}
	if err != nil {
		return Injection{}, chaos.Undo(ctx, heal, err)
	}
	return in, nil
}

// prove checks the journal entries this injection added.
func (r *Router) prove(ctx context.Context, f scenarios.Fault, backend string, before map[string]bool, pending []journal.Entry) ([]string, error) {
	var objects proof.ObjectCheck
	if r.ChaosMesh != nil {
		objects = r.ChaosMesh.InForce
	}
	var out []string
	found := false
	for _, e := range pending {
		if before[e.ID] || e.Fault != f.Name || e.Backend != backend {
			continue
		}
		found = true
		var lines []string
		var err error
		if proof.FromAPI(e) {
			lines, err = proof.Unreachable(ctx, r.Native.Kube, e)
		} else {
			lines, err = proof.InForce(ctx, r.Native.Cluster, objects, e)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	if !found {
		return nil, fmt.Errorf("fault %s: the %s injector wrote no journal entry, so nothing shows it in force", f.Name, backend)
	}
	return out, nil
}

func (r *Router) pendingIDs() (map[string]bool, error) {
	pending, err := r.Journal.Pending()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(pending))
	for _, e := range pending {
		ids[e.ID] = true
	}
	return ids, nil
}

// instantEvidence says how an instantaneous fault was shown to take effect.
func instantEvidence(k scenarios.FaultKind, backend string) string {
	if backend != native.Name {
		return "instantaneous: completed by the " + backend + " injector (its effect is not checked from outside)"
	}
	switch k {
	case scenarios.PodKill:
		return "instantaneous: every killed pod checked gone, terminating or replaced under a new UID"
	case scenarios.ContainerKill:
		return "instantaneous: every stopped container checked no longer running"
	case scenarios.NodeReboot:
		return "instantaneous: every node checked restarted (boot id or init start time changed)"
	}
	return "instantaneous: completed by the native injector"
}
