package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
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
		if f.Rollout != nil && f.Rollout.Object != nil {
			return true, "" // checked against the application before deploy
		}
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

// inject performs f and returns how to undo it; rolling-update is done by
// rollout, which also returns what it measured. Faults for which needsNodes
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
		return []string{"rollout of " + f.Rollout.Rolled() + " complete"}, nil
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
// waits until the rollout is complete, and returns the fewest of the
// fixture's pods that were serving meanwhile (watched, not polled).
func (d *driver) rollout(ctx context.Context, r *scenarios.RolloutParams) (slo.Value, error) {
	unavail, surge := ptr.Deref(r.MaxUnavailable, 0), ptr.Deref(r.MaxSurge, 1)
	kind, names, sel, err := d.rolled(r)
	if err != nil {
		return slo.Value{}, fmt.Errorf("rollout of %s: %w", r.Rolled(), err)
	}
	watch, err := d.w.WatchReadySelected(ctx, r.Rolled(), sel)
	if err != nil {
		return slo.Value{}, fmt.Errorf("rollout of %s: %w", r.Rolled(), err)
	}
	if r.Object != nil && r.MaxUnavailable == nil {
		err = d.restart(ctx, kind, names[0]) // the object's own strategy
	} else {
		err = d.roll(ctx, kind, names, unavail, surge)
	}
	fewest, werr := watch.Stop()
	switch {
	case err != nil:
		return slo.Value{}, err
	case werr != nil:
		return slo.Unknown("%v", werr), nil
	}
	return slo.Count(fewest), nil
}

// restartedAt is the template patch that restarts a controller's pods,
// as `kubectl rollout restart` does.
func restartedAt() string {
	return fmt.Sprintf(`{"metadata":{"annotations":{"edgeproof.dev/restartedAt":%q}}}`, time.Now().Format(time.RFC3339Nano))
}

// restart rolls an application object under its own update strategy and
// waits until the rollout is complete.
func (d *driver) restart(ctx context.Context, kind, name string) error {
	if err := d.patch(ctx, kind, name, fmt.Sprintf(`{"spec":{"template":%s}}`, restartedAt())); err != nil {
		return fmt.Errorf("rolling %s %s: %w", kind, name, err)
	}
	return d.waitRolledOut(ctx, kind, []string{name})
}

// patch applies a strategic merge patch to a controller of the workload.
func (d *driver) patch(ctx context.Context, kind, name, patch string) error {
	ns, apps, p, o := d.w.Spec.Namespace, d.cs.AppsV1(), []byte(patch), metav1.PatchOptions{}
	var err error
	switch kind {
	case "deployment":
		_, err = apps.Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, p, o)
	case "daemonset":
		_, err = apps.DaemonSets(ns).Patch(ctx, name, types.StrategicMergePatchType, p, o)
	case "statefulset":
		_, err = apps.StatefulSets(ns).Patch(ctx, name, types.StrategicMergePatchType, p, o)
	default:
		err = fmt.Errorf("cannot patch a %s", kind)
	}
	return err
}

// rolled names the controllers that run what r rolls, their kind and the
// selector of their pods.
func (d *driver) rolled(r *scenarios.RolloutParams) (kind string, names []string, sel string, err error) {
	if o := r.Object; o != nil {
		sel, err = d.w.Spec.AppSelector(o.Kind, o.Name)
		return strings.ToLower(o.Kind), []string{o.Name}, sel, err
	}
	sel = workload.LabelName + "=" + string(r.Fixture)
	switch r.Fixture {
	case scenarios.FixtureBroker:
		return "deployment", []string{workload.Broker}, sel, nil
	case scenarios.FixtureDeviceSim:
		for _, z := range d.w.Spec.Zones {
			names = append(names, workload.DeviceSim+"-"+z.Name)
		}
		return "deployment", names, sel, nil
	case scenarios.FixtureGateway:
		for _, z := range d.w.Spec.Zones {
			names = append(names, workload.Gateway+"-"+z.Name)
		}
		return "daemonset", names, sel, nil
	}
	return "statefulset", []string{workload.Sink}, sel, nil
}

// roll patches every controller at once and waits until each is rolled out.
func (d *driver) roll(ctx context.Context, kind string, names []string, unavail, surge int32) error {
	tmpl := restartedAt()
	for _, name := range names {
		var err error
		switch kind {
		case "deployment":
			strategy := ""
			if name != workload.Broker { // one journal writer: Recreate
				strategy = fmt.Sprintf(`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":%d,"maxSurge":%d}},`, unavail, surge)
			}
			err = d.patch(ctx, kind, name, fmt.Sprintf(`{"spec":{%s"template":%s}}`, strategy, tmpl))
		case "daemonset":
			// A node's queue directory has one owner: never surge.
			err = d.patch(ctx, kind, name, fmt.Sprintf(`{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":%d,"maxSurge":0}},"template":%s}}`, max(unavail, 1), tmpl))
		case "statefulset":
			err = d.rollStatefulSet(ctx, name, tmpl, max(unavail, 1))
		}
		if err != nil {
			return fmt.Errorf("rolling %s %s: %w", kind, name, err)
		}
	}
	return d.waitRolledOut(ctx, kind, names)
}

// rollStatefulSet rolls a StatefulSet with at most unavail replicas down at
// once. Its own RollingUpdate replaces one replica at a time (more needs
// the MaxUnavailableStatefulSet feature gate, off by default), so a wider
// rollout is done OnDelete: the driver deletes old replicas in batches,
// then restores RollingUpdate, under which the controller marks the
// rollout complete.
func (d *driver) rollStatefulSet(ctx context.Context, name, tmpl string, unavail int32) error {
	sts := d.cs.AppsV1().StatefulSets(d.w.Spec.Namespace)
	const rolling = `{"type":"RollingUpdate","rollingUpdate":{"partition":0}}`
	strategy := rolling
	if unavail > 1 {
		strategy = `{"type":"OnDelete","rollingUpdate":null}`
	}
	patch := fmt.Sprintf(`{"spec":{"updateStrategy":%s,"template":%s}}`, strategy, tmpl)
	if _, err := sts.Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil || unavail <= 1 {
		return err
	}
	if err := d.replaceInBatches(ctx, name, unavail); err != nil {
		return err
	}
	_, err := sts.Patch(ctx, name, types.StrategicMergePatchType, []byte(`{"spec":{"updateStrategy":`+rolling+`}}`), metav1.PatchOptions{})
	return err
}

// replaceInBatches deletes the StatefulSet's replicas that run an old
// revision, never leaving more than unavail of its replicas down, until
// none is left.
func (d *driver) replaceInBatches(ctx context.Context, name string, unavail int32) error {
	ns := d.w.Spec.Namespace
	deadline := time.Now().Add(5 * time.Minute)
	for {
		s, err := d.cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if s.Status.ObservedGeneration >= s.Generation {
			pods, err := d.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(s.Spec.Selector)})
			if err != nil {
				return err
			}
			down := ptr.Deref(s.Spec.Replicas, 1) - int32(len(pods.Items)) // not yet recreated
			var old []string
			for _, p := range pods.Items {
				if p.DeletionTimestamp != nil || !clusters.PodReady(&p) {
					down++
				}
				if p.Labels[appsv1.ControllerRevisionHashLabelKey] != s.Status.UpdateRevision && p.DeletionTimestamp == nil {
					old = append(old, p.Name)
				}
			}
			if len(old) == 0 {
				return nil
			}
			for _, p := range old[:min(len(old), int(max(unavail-down, 0)))] {
				if err := d.cs.CoreV1().Pods(ns).Delete(ctx, p, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("old replicas still running after 5m")
		}
		if !sleep.Until(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
	}
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
