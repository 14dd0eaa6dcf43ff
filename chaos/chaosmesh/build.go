// Package chaosmesh injects pod-level faults as Chaos Mesh experiments:
// PodChaos for pod-kill, container-kill and pod-failure, StressChaos for
// stress in pods, and NetworkChaos for uplink faults on the gateway pods.
// Each experiment is journaled (op delete-cr) before it is created and
// deleted on recovery. Node-level faults are not Chaos Mesh's: they need
// the native backend.
package chaosmesh

import (
	"fmt"
	"maps"
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Name is the backend's name in journals and reports.
const Name = "chaos-mesh"

// Labels put on every experiment edgeproof creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "edgeproof"
	LabelFault     = "edgeproof.dev/fault"
	LabelJournalID = "edgeproof.dev/journal-id"
)

// BuildOptions name and place the experiments of one injection.
type BuildOptions struct {
	// Name is the experiments' name; a second experiment of the same
	// injection gets a suffix.
	Name string
	// Namespace holds the experiments; pod selectors naming no namespace
	// select in it, as Chaos Mesh's webhook would default them.
	Namespace string
	// JournalID is recorded in a label.
	JournalID string
}

// Build turns a fault into Chaos Mesh experiments. Pod targets are used as
// given (Chaos Mesh applies their mode). Uplink faults act on the gateway
// pods (app.kubernetes.io/name=gateway) on the target nodes, towards the
// pods on cloud-tier nodes; node targets given by zone or nodeSelector
// become the selector's nodeSelectors, so resolve targets with a mode
// other than all to node names first.
func Build(f scenarios.Fault, o BuildOptions) ([]client.Object, error) {
	if o.Name == "" || o.Namespace == "" {
		return nil, fmt.Errorf("fault %s: experiment name and namespace are required", f.Name)
	}
	if reason, ok := supported(f); !ok {
		return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: Name, Reason: reason}
	}
	meta := func(suffix string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name:      o.Name + suffix,
			Namespace: o.Namespace,
			Labels: map[string]string{
				LabelManagedBy: ManagedBy,
				LabelFault:     f.Name,
				LabelJournalID: o.JournalID,
			},
		}
	}
	var duration *string
	if !f.Kind.Instant() && f.Duration > 0 {
		// Chaos Mesh ends the experiment by itself even if edgeproof dies.
		d := f.Duration.String()
		duration = &d
	}
	switch f.Kind {
	case scenarios.PodKill, scenarios.ContainerKill, scenarios.PodFailure:
		action, _ := f.Kind.PodChaosAction()
		pc := &v1alpha1.PodChaos{
			TypeMeta:   typeMeta(v1alpha1.KindPodChaos),
			ObjectMeta: meta(""),
			Spec: v1alpha1.PodChaosSpec{
				ContainerSelector: podSelector(f.Target.Pods, o.Namespace),
				Action:            action,
				Duration:          duration,
			},
		}
		if f.Kind != scenarios.ContainerKill {
			pc.Spec.ContainerNames = nil
		}
		if f.Kind == scenarios.PodKill && f.Pod != nil {
			pc.Spec.GracePeriod = f.Pod.GracePeriod
		}
		return []client.Object{pc}, nil
	case scenarios.Stress:
		st := f.Stress.ChaosMesh()
		return []client.Object{&v1alpha1.StressChaos{
			TypeMeta:   typeMeta(v1alpha1.KindStressChaos),
			ObjectMeta: meta(""),
			Spec: v1alpha1.StressChaosSpec{
				ContainerSelector: podSelector(f.Target.Pods, o.Namespace),
				Stressors:         &st,
				Duration:          duration,
			},
		}}, nil
	}
	// Uplink faults.
	src := gatewaySelector(f.Target, o.Namespace)
	cloud := cloudSelector(o.Namespace)
	network := func(suffix string, action v1alpha1.NetworkChaosAction, dir v1alpha1.Direction, target *v1alpha1.PodSelector, tcp v1alpha1.TcParameter) *v1alpha1.NetworkChaos {
		return &v1alpha1.NetworkChaos{
			TypeMeta:   typeMeta(v1alpha1.KindNetworkChaos),
			ObjectMeta: meta(suffix),
			Spec: v1alpha1.NetworkChaosSpec{
				PodSelector: src,
				Action:      action,
				Duration:    duration,
				TcParameter: tcp,
				Direction:   dir,
				Target:      target,
			},
		}
	}
	if f.Kind == scenarios.UplinkFlap {
		return []client.Object{network("", v1alpha1.PartitionAction, v1alpha1.Both, &cloud, v1alpha1.TcParameter{})}, nil
	}
	u := f.Uplink
	var out []client.Object
	if u.Delay != nil || u.Loss != nil {
		var tcp v1alpha1.TcParameter
		if u.Delay != nil {
			d := u.Delay.ChaosMesh()
			tcp.Delay = &d
		}
		if u.Loss != nil {
			l := u.Loss.ChaosMesh()
			tcp.Loss = &l
		}
		out = append(out, network("", v1alpha1.NetemAction, v1alpha1.To, &cloud, tcp))
	}
	if u.Bandwidth != nil {
		bw := u.Bandwidth.ChaosMesh()
		if bw.Limit == 0 {
			bw.Limit = scenarios.DefaultBandwidthLimit
		}
		if bw.Buffer == 0 {
			bw.Buffer = scenarios.DefaultBandwidthBuffer
		}
		suffix := ""
		if len(out) > 0 {
			suffix = "-bandwidth"
		}
		// Chaos Mesh's bandwidth action has no target: it limits all of
		// the gateway pods' egress.
		out = append(out, network(suffix, v1alpha1.BandwidthAction, v1alpha1.To, nil, v1alpha1.TcParameter{Bandwidth: &bw}))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fault %s: uplink-shape needs bandwidth, loss or delay", f.Name)
	}
	return out, nil
}

// supported reports whether Chaos Mesh can inject f, and why not.
func supported(f scenarios.Fault) (string, bool) {
	switch f.Kind {
	case scenarios.PodKill, scenarios.ContainerKill, scenarios.PodFailure:
		if f.Target == nil || f.Target.Pods == nil {
			return fmt.Sprintf("%s needs a pod target", f.Kind), false
		}
		return "", true
	case scenarios.Stress:
		if f.Target == nil || f.Target.Pods == nil {
			return "stress on whole nodes needs the native backend (Chaos Mesh's StressChaos acts on pods)", false
		}
		if f.Stress == nil {
			return "stress needs stress parameters", false
		}
		return "", true
	case scenarios.UplinkShape, scenarios.UplinkFlap:
		if f.Uplink != nil && f.Uplink.Layer == scenarios.LayerProxy {
			return (&chaos.WorkloadFaultError{Kind: f.Kind}).Error(), false
		}
		if f.Target == nil || f.Target.Pods != nil {
			return fmt.Sprintf("%s needs a node target", f.Kind), false
		}
		if f.Kind == scenarios.UplinkShape && f.Uplink == nil {
			return "uplink-shape needs uplink parameters", false
		}
		return "", true
	case scenarios.DeviceStorm, scenarios.DeviceLoad, scenarios.RollingUpdate:
		return (&chaos.WorkloadFaultError{Kind: f.Kind}).Error(), false
	}
	return fmt.Sprintf("%s acts on nodes and needs the native backend (Chaos Mesh experiments act on pods)", f.Kind), false
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: kind}
}

// podSelector copies a scenario's pod selector, defaulting its namespaces
// explicitly so the experiment does not depend on the webhook doing it.
func podSelector(cs *v1alpha1.ContainerSelector, ns string) v1alpha1.ContainerSelector {
	out := *cs.DeepCopy()
	if len(out.Selector.Namespaces) == 0 && len(out.Selector.Pods) == 0 {
		out.Selector.Namespaces = []string{ns}
	}
	if out.Mode == "" {
		out.Mode = v1alpha1.AllMode
	}
	return out
}

// gatewaySelector selects the gateway pods on the target nodes.
func gatewaySelector(t *scenarios.Target, ns string) v1alpha1.PodSelector {
	s := v1alpha1.PodSelectorSpec{
		GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			Namespaces:     []string{ns},
			LabelSelectors: map[string]string{scenarios.FixtureLabel: string(scenarios.FixtureGateway)},
		},
		Nodes: slices.Clone(t.Nodes),
	}
	switch {
	case t.Zone != "":
		s.NodeSelectors = map[string]string{clusters.LabelZone: t.Zone}
	case len(t.NodeSelector) > 0:
		s.NodeSelectors = maps.Clone(t.NodeSelector)
	}
	return v1alpha1.PodSelector{Selector: s, Mode: v1alpha1.AllMode}
}

// cloudSelector selects the workload's pods on cloud-tier nodes: the far
// end of the gateway's uplink.
func cloudSelector(ns string) v1alpha1.PodSelector {
	return v1alpha1.PodSelector{
		Selector: v1alpha1.PodSelectorSpec{
			GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ns}},
			NodeSelectors:       map[string]string{clusters.LabelTier: clusters.TierCloud},
		},
		Mode: v1alpha1.AllMode,
	}
}
