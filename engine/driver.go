package engine

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
)

// driver performs the faults that are workload actions rather than node
// or pod faults: device-storm, device-load, rolling-update, and uplink
// faults at layer proxy (toxics in the gateways' toxiproxy sidecars).
type driver struct {
	w  *workload.Workload
	cs kubernetes.Interface
}

// preflight says whether the driver can perform f.
func (d *driver) preflight(f scenarios.Fault) (bool, string) {
	switch f.Kind {
	case scenarios.DeviceStorm, scenarios.DeviceLoad:
		if !d.w.Spec.DeviceSim {
			return false, string(f.Kind) + " needs the devicesim fixture, which this scenario does not deploy"
		}
		return true, ""
	case scenarios.RollingUpdate:
		if f.Rollout == nil || !d.w.Spec.Deploys(f.Rollout.Fixture) {
			return false, "rolling-update names a fixture this scenario does not deploy"
		}
		return true, ""
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		if !d.w.Spec.Gateway || !d.w.Spec.Toxiproxy {
			return false, "uplink faults at layer proxy act on the gateway's toxiproxy sidecar, and this scenario deploys no gateway"
		}
		if _, err := uplinkToxics(f); err != nil {
			return false, "uplink faults at layer proxy: " + err.Error()
		}
		return true, ""
	}
	return false, fmt.Sprintf("%s is not a workload action", f.Kind)
}

// needsNodes reports whether the driver acts on nodes, so that the engine
// resolves f's target before inject.
func needsNodes(f scenarios.Fault) bool {
	return f.Kind == scenarios.UplinkShape || f.Kind == scenarios.UplinkFlap
}

// inject performs f and returns how to undo it. Faults for which needsNodes
// is true must be resolved (chaos.Resolver) to node names.
func (d *driver) inject(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	switch f.Kind {
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		if ok, reason := d.preflight(f); !ok {
			return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: "workload", Reason: reason}
		}
		return d.injectUplink(ctx, f)
	case scenarios.DeviceStorm:
		var spread time.Duration
		if f.Storm != nil {
			spread = f.Storm.Spread.Std()
		}
		return chaos.Nop, d.w.Storm(ctx, spread)
	case scenarios.DeviceLoad:
		if err := d.w.SetLoad(ctx, f.Load.Factor); err != nil {
			// Some simulators may have taken the new rate: put all back.
			return nil, joinUndo(err, d.w.SetLoad(context.WithoutCancel(ctx), 1))
		}
		return func(ctx context.Context) error { return d.w.SetLoad(ctx, 1) }, nil
	case scenarios.RollingUpdate:
		return chaos.Nop, d.rollout(ctx, f.Rollout)
	}
	ok, reason := d.preflight(f)
	if !ok {
		return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: "workload", Reason: reason}
	}
	return nil, fmt.Errorf("no workload action for %s", f.Kind)
}

// evidence shows a workload fault in force, read back from the fixtures
// it changed: toxics listed on the target gateways, every simulator at the
// new load factor. Storms and rollouts are over when inject returns (the
// simulators answered that their storm ran; the rollout was waited for).
func (d *driver) evidence(ctx context.Context, f scenarios.Fault, nodes []string) ([]string, error) {
	switch f.Kind {
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		return d.uplinkEvidence(ctx, f, nodes)
	case scenarios.DeviceLoad:
		sims, err := d.w.Devices(ctx, false)
		if err != nil {
			return nil, fmt.Errorf("fault %s: reading the simulators back: %w", f.Name, err)
		}
		for _, s := range sims {
			if s.LoadFactor != f.Load.Factor {
				return nil, fmt.Errorf("fault %s not in force: simulator %s runs at load factor %g, not %g", f.Name, s.Pod, s.LoadFactor, f.Load.Factor)
			}
		}
		return []string{fmt.Sprintf("%d simulators at load factor %g", len(sims), f.Load.Factor)}, nil
	case scenarios.DeviceStorm:
		return []string{"every simulator answered that its storm ran"}, nil
	case scenarios.RollingUpdate:
		return []string{"rollout of " + string(f.Rollout.Fixture) + " complete"}, nil
	}
	return nil, fmt.Errorf("fault %s: no evidence check for %s", f.Name, f.Kind)
}

func joinUndo(err, undo error) error {
	if undo != nil {
		return fmt.Errorf("%w (and undoing it: %v)", err, undo)
	}
	return err
}

// rollout restarts a fixture's pods the way `kubectl rollout restart`
// does (a template annotation), with the fault's surge and unavailability,
// and waits until the rollout is complete.
func (d *driver) rollout(ctx context.Context, r *scenarios.RolloutParams) error {
	ns := d.w.Spec.Namespace
	at := time.Now().Format(time.RFC3339Nano)
	unavail, surge := int32(0), int32(1)
	if r.MaxUnavailable != nil {
		unavail = *r.MaxUnavailable
	}
	if r.MaxSurge != nil {
		surge = *r.MaxSurge
	}
	tmpl := fmt.Sprintf(`{"metadata":{"annotations":{"edgeproof.dev/restartedAt":%q}}}`, at)
	apps := d.cs.AppsV1()
	var names []string
	var kind string
	switch r.Fixture {
	case scenarios.FixtureBroker:
		// The broker is one pod with a single-writer journal: Recreate.
		kind, names = "deployment", []string{workload.Broker}
	case scenarios.FixtureDeviceSim:
		kind = "deployment"
		for _, z := range d.w.Spec.Zones {
			names = append(names, workload.DeviceSim+"-"+z.Name)
		}
	case scenarios.FixtureGateway:
		kind = "daemonset"
		for _, z := range d.w.Spec.Zones {
			names = append(names, workload.Gateway+"-"+z.Name)
		}
	case scenarios.FixtureSink:
		kind, names = "statefulset", []string{workload.Sink}
	}
	for _, name := range names {
		var err error
		switch kind {
		case "deployment":
			strategy := ""
			if name != workload.Broker {
				strategy = fmt.Sprintf(`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":%d,"maxSurge":%d}},`, unavail, surge)
			}
			patch := fmt.Sprintf(`{"spec":{%s"template":%s}}`, strategy, tmpl)
			_, err = apps.Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
		case "daemonset":
			// A node's queue directory has one owner: never surge.
			patch := fmt.Sprintf(`{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":%d,"maxSurge":0}},"template":%s}}`, max(unavail, 1), tmpl)
			_, err = apps.DaemonSets(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
		case "statefulset":
			patch := fmt.Sprintf(`{"spec":{"template":%s}}`, tmpl)
			_, err = apps.StatefulSets(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
		}
		if err != nil {
			return fmt.Errorf("rolling %s %s: %w", kind, name, err)
		}
	}
	return d.waitRolledOut(ctx, kind, names)
}

func (d *driver) waitRolledOut(ctx context.Context, kind string, names []string) error {
	ns := d.w.Spec.Namespace
	apps := d.cs.AppsV1()
	deadline := time.Now().Add(5 * time.Minute)
	for _, name := range names {
		for {
			done, err := rolledOut(ctx, apps, ns, kind, name)
			if err != nil {
				return err
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("rolling %s %s: not complete after 5m", kind, name)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// rolledOut reports whether every pod of the controller runs the latest
// template and is Ready.
func rolledOut(ctx context.Context, apps appsv1client.AppsV1Interface, ns, kind, name string) (bool, error) {
	switch kind {
	case "deployment":
		d, err := apps.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("rollout of %s: %w", name, err)
		}
		want := ptr.Deref(d.Spec.Replicas, 1)
		return d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == want &&
			d.Status.Replicas == want && d.Status.AvailableReplicas == want, nil
	case "daemonset":
		d, err := apps.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("rollout of %s: %w", name, err)
		}
		st := d.Status
		return st.ObservedGeneration >= d.Generation && st.UpdatedNumberScheduled == st.DesiredNumberScheduled &&
			st.NumberAvailable == st.DesiredNumberScheduled, nil
	default:
		s, err := apps.StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("rollout of %s: %w", name, err)
		}
		st := s.Status
		return st.ObservedGeneration >= s.Generation && st.UpdateRevision == st.CurrentRevision &&
			st.ReadyReplicas == ptr.Deref(s.Spec.Replicas, 1), nil
	}
}
