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
	res := &chaos.Resolver{Kube: kube, Namespace: o.Namespace, Rand: o.Rand}
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
		if ok, _ := r.ChaosMesh.Preflight(ctx, f); ok {
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
func (r *Router) Preflight(ctx context.Context, f scenarios.Fault) (bool, string) {
	b, err := r.For(ctx, f)
	if err != nil {
		return false, err.Error()
	}
	ok, reason := b.Preflight(ctx, f)
	if !ok {
		return false, b.Name() + ": " + reason
	}
	if b == chaos.Backend(r.ChaosMesh) && f.Kind == scenarios.UplinkShape && f.Uplink != nil && (f.Uplink.Delay != nil || f.Uplink.Loss != nil) {
		if ok, reason := r.Native.CheckNetem(ctx, f); !ok {
			return false, b.Name() + ": " + reason
		}
	}
	return true, ""
}
