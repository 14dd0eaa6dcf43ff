package chaos

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

func node(name, zone, tier string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		clusters.LabelZone: zone, clusters.LabelTier: tier,
	}}}
}

func pod(ns, name, node, app string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Phase: phase},
	}
}

func resolver(objs ...runtime.Object) *Resolver {
	base := []runtime.Object{
		node("cp", "cloud", "cloud"),
		node("a1", "edge-a", "edge"), node("a2", "edge-a", "edge"), node("a3", "edge-a", "edge"),
		node("b1", "edge-b", "edge"),
	}
	return &Resolver{
		Kube:      fake.NewClientset(append(base, objs...)...),
		Namespace: "work",
		Rand:      rand.New(rand.NewPCG(1, 2)),
	}
}

func TestResolveNodes(t *testing.T) {
	ctx := context.Background()
	r := resolver()
	cases := []struct {
		name   string
		kind   scenarios.FaultKind
		target scenarios.Target
		want   []string // nil: check count only
		count  int
		err    error
	}{
		{name: "by name", target: scenarios.Target{Nodes: []string{"b1", "a1"}}, want: []string{"a1", "b1"}},
		{name: "missing name", target: scenarios.Target{Nodes: []string{"zz"}}, err: ErrNoMatch},
		{name: "zone all", target: scenarios.Target{Zone: "edge-a"}, want: []string{"a1", "a2", "a3"}},
		{name: "zone one", target: scenarios.Target{Zone: "edge-a", Mode: v1alpha1.OneMode}, count: 1},
		{name: "zone fixed 2", target: scenarios.Target{Zone: "edge-a", Mode: v1alpha1.FixedMode, Value: "2"}, count: 2},
		{name: "fixed more than there are", target: scenarios.Target{Zone: "edge-b", Mode: v1alpha1.FixedMode, Value: "5"}, want: []string{"b1"}},
		{name: "fixed-percent rounds down", target: scenarios.Target{Zone: "edge-a", Mode: v1alpha1.FixedPercentMode, Value: "70"}, count: 2},
		{name: "fixed-percent selecting none", target: scenarios.Target{Zone: "edge-b", Mode: v1alpha1.FixedPercentMode, Value: "50"}, err: ErrNoMatch},
		{name: "random-max-percent", target: scenarios.Target{Zone: "edge-a", Mode: v1alpha1.RandomMaxPercentMode, Value: "100"}},
		{name: "selector", target: scenarios.Target{NodeSelector: map[string]string{clusters.LabelTier: "edge"}}, want: []string{"a1", "a2", "a3", "b1"}},
		{name: "empty zone", target: scenarios.Target{Zone: "edge-z"}, err: ErrNoMatch},
		{name: "partition ignores mode", kind: scenarios.ZonePartition, target: scenarios.Target{Zone: "edge-a", Mode: v1alpha1.OneMode}, want: []string{"a1", "a2", "a3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind := c.kind
			if kind == "" {
				kind = scenarios.NodeStop
			}
			target := c.target
			f, err := r.Resolve(ctx, scenarios.Fault{Name: "f", Kind: kind, Target: &target})
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := NodeNames(f)
			if err != nil {
				t.Fatal(err)
			}
			if c.want != nil && !slices.Equal(got, c.want) {
				t.Fatalf("nodes = %v, want %v", got, c.want)
			}
			if c.count > 0 && len(got) != c.count {
				t.Fatalf("nodes = %v, want %d", got, c.count)
			}
			if len(got) == 0 || !slices.IsSorted(got) {
				t.Fatalf("nodes = %v: empty or unsorted", got)
			}
			if target.Zone != c.target.Zone || (c.target.Zone != "" && f.Target.Zone != "") {
				t.Fatal("Resolve changed the input or kept the zone")
			}
			// A resolved fault resolves to itself.
			again, err := r.Resolve(ctx, f)
			if err != nil || !slices.Equal(again.Target.Nodes, got) {
				t.Fatalf("re-resolve = %v, %v", again.Target, err)
			}
		})
	}
}

// On a cluster edgeproof was handed, a zone or selector target picks among
// the nodes its owner opted in; named nodes and a partition's zone are
// left to the backend's refusal.
func TestResolveNodesPicksEligibleOnly(t *testing.T) {
	ctx := context.Background()
	r := resolver()
	r.Eligible = func(n *corev1.Node) error {
		if n.Name == "a2" || n.Name == "b1" {
			return nil
		}
		return errors.New("node " + n.Name + " is not opted in")
	}
	for range 20 {
		got, err := r.Nodes(ctx, scenarios.NodeStop, &scenarios.Target{Zone: "edge-a", Mode: v1alpha1.OneMode})
		if err != nil || !slices.Equal(got, []string{"a2"}) {
			t.Fatalf("zone one = %v, %v; want the one opted-in node a2", got, err)
		}
	}
	got, err := r.Nodes(ctx, scenarios.NodeStop, &scenarios.Target{NodeSelector: map[string]string{clusters.LabelTier: "edge"}})
	if err != nil || !slices.Equal(got, []string{"a2", "b1"}) {
		t.Fatalf("selector = %v, %v", got, err)
	}
	if _, err := r.Nodes(ctx, scenarios.NodeStop, &scenarios.Target{Zone: "cloud"}); !errors.Is(err, ErrNotEligible) || errors.Is(err, ErrNoMatch) ||
		!strings.Contains(err.Error(), "none of its 1 nodes may be faulted (node cp is not opted in)") {
		t.Fatalf("zone without an eligible node: %v; want a refusal, not a skip", err)
	}
	for _, c := range []struct {
		kind scenarios.FaultKind
		t    scenarios.Target
		want []string
	}{
		{scenarios.NodeStop, scenarios.Target{Nodes: []string{"a1"}}, []string{"a1"}},
		{scenarios.ZonePartition, scenarios.Target{Zone: "edge-a"}, []string{"a1", "a2", "a3"}},
	} {
		got, err := r.Nodes(ctx, c.kind, &c.t)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s %+v = %v, %v; want %v (narrowing is not the resolver's call)", c.kind, c.t, got, err, c.want)
		}
	}
}

func TestResolveDeterministic(t *testing.T) {
	pick := func() []string {
		r := resolver()
		f, err := r.Resolve(context.Background(), scenarios.Fault{Kind: scenarios.NodeStop,
			Target: &scenarios.Target{Zone: "edge-a", Mode: v1alpha1.FixedMode, Value: "2"}})
		if err != nil {
			t.Fatal(err)
		}
		return f.Target.Nodes
	}
	if a, b := pick(), pick(); !slices.Equal(a, b) {
		t.Fatalf("same seed picked %v then %v", a, b)
	}
}

func TestResolvePods(t *testing.T) {
	ctx := context.Background()
	gone := pod("work", "gw-gone", "a1", "gateway", corev1.PodRunning)
	now := metav1.Now()
	gone.DeletionTimestamp = &now
	gone.Finalizers = []string{"x"}
	annotated := pod("work", "gw-3", "b1", "gateway", corev1.PodRunning)
	annotated.Annotations = map[string]string{"chaos": "yes"}
	r := resolver(
		pod("work", "gw-1", "a1", "gateway", corev1.PodRunning),
		pod("work", "gw-2", "a2", "gateway", corev1.PodPending),
		annotated, gone,
		pod("work", "broker-0", "cp", "broker", corev1.PodRunning),
		pod("other", "gw-x", "a1", "gateway", corev1.PodRunning),
	)
	sel := func(s v1alpha1.PodSelectorSpec, mode v1alpha1.SelectorMode, value string) *v1alpha1.ContainerSelector {
		return &v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Selector: s, Mode: mode, Value: value}, ContainerNames: []string{"main"}}
	}
	gw := v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "gateway"}}
	cases := []struct {
		name string
		sel  *v1alpha1.ContainerSelector
		want []string
		n    int
		err  bool
	}{
		{name: "labels in default namespace", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw}, v1alpha1.AllMode, ""),
			want: []string{"work/gw-1", "work/gw-2", "work/gw-3"}},
		{name: "other namespace", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{"other"}, LabelSelectors: gw.LabelSelectors}}, "", ""),
			want: []string{"other/gw-x"}},
		{name: "on edge-a nodes", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw, NodeSelectors: map[string]string{clusters.LabelZone: "edge-a"}}, v1alpha1.AllMode, ""),
			want: []string{"work/gw-1", "work/gw-2"}},
		{name: "by node name", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw, Nodes: []string{"b1"}}, v1alpha1.AllMode, ""),
			want: []string{"work/gw-3"}},
		{name: "running only", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw, PodPhaseSelectors: []string{"Running"}}, v1alpha1.AllMode, ""),
			want: []string{"work/gw-1", "work/gw-3"}},
		{name: "annotations", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: gw.LabelSelectors, AnnotationSelectors: map[string]string{"chaos": "yes"}}}, v1alpha1.AllMode, ""),
			want: []string{"work/gw-3"}},
		{name: "expressions", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{ExpressionSelectors: v1alpha1.LabelSelectorRequirements{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"broker"}}}}}, v1alpha1.AllMode, ""),
			want: []string{"work/broker-0"}},
		{name: "named pods", sel: sel(v1alpha1.PodSelectorSpec{Pods: map[string][]string{"work": {"gw-2", "gw-gone", "nope"}, "other": {"gw-x"}}}, v1alpha1.AllMode, ""),
			want: []string{"other/gw-x", "work/gw-2"}},
		{name: "fixed-percent 50 of 3", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw}, v1alpha1.FixedPercentMode, "50"), n: 1},
		{name: "nothing", sel: sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "none"}}}, v1alpha1.AllMode, ""), err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := r.Resolve(ctx, scenarios.Fault{Name: "f", Kind: scenarios.ContainerKill, Target: &scenarios.Target{Pods: c.sel}})
			if c.err {
				if !errors.Is(err, ErrNoMatch) {
					t.Fatalf("err = %v, want ErrNoMatch", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			refs, err := PodNames(f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range refs {
				got = append(got, p.String())
			}
			if c.want != nil && !slices.Equal(got, c.want) {
				t.Fatalf("pods = %v, want %v", got, c.want)
			}
			if c.n > 0 && len(got) != c.n {
				t.Fatalf("pods = %v, want %d", got, c.n)
			}
			if f.Target.Pods.Mode != v1alpha1.AllMode || !slices.Equal(f.Target.Pods.ContainerNames, []string{"main"}) {
				t.Fatalf("resolved selector = %+v", f.Target.Pods)
			}
		})
	}
	// No default namespace and none in the selector.
	r.Namespace = ""
	_, err := r.Pods(ctx, sel(v1alpha1.PodSelectorSpec{GenericSelectorSpec: gw}, v1alpha1.AllMode, ""))
	if err == nil {
		t.Fatal("selector without namespace resolved without a default")
	}
}

func TestUnresolved(t *testing.T) {
	if _, err := NodeNames(scenarios.Fault{Target: &scenarios.Target{Zone: "a"}}); err == nil {
		t.Error("zone target taken as resolved")
	}
	if _, err := PodNames(scenarios.Fault{Target: &scenarios.Target{Pods: &v1alpha1.ContainerSelector{}}}); err == nil {
		t.Error("selector without pods taken as resolved")
	}
	got, _ := PodNames(scenarios.Fault{Target: &scenarios.Target{Pods: PodTarget([]corev1.Pod{*pod("b", "y", "", "", ""), *pod("a", "x", "", "", "")}, nil)}})
	if !slices.Equal(got, []types.NamespacedName{{Namespace: "a", Name: "x"}, {Namespace: "b", Name: "y"}}) {
		t.Errorf("PodNames = %v", got)
	}
}

func TestErrors(t *testing.T) {
	var err error = &WorkloadFaultError{Kind: scenarios.DeviceStorm}
	if !IsWorkloadFault(err) || err.Error() != "device-storm is not a node fault: handled by the workload driver" {
		t.Errorf("workload error: %v", err)
	}
	err = &UnsupportedError{Kind: scenarios.PodFailure, Backend: "native", Reason: "why"}
	if r, ok := IsUnsupported(err); !ok || r != "why" {
		t.Errorf("unsupported: %v", err)
	}
	for _, c := range []struct {
		f    scenarios.Fault
		want bool
	}{
		{scenarios.Fault{Kind: scenarios.DeviceLoad}, true},
		{scenarios.Fault{Kind: scenarios.RollingUpdate}, true},
		{scenarios.Fault{Kind: scenarios.UplinkFlap, Uplink: &scenarios.UplinkParams{Layer: scenarios.LayerProxy}}, true},
		{scenarios.Fault{Kind: scenarios.UplinkFlap}, false},
		{scenarios.Fault{Kind: scenarios.PodKill}, false},
	} {
		if got := WorkloadKind(c.f); got != c.want {
			t.Errorf("WorkloadKind(%s) = %v", c.f.Kind, got)
		}
	}
}

// A resolved target keeps what its nodes may be: the injector checks the
// named nodes again.
func TestResolveKeepsAllowControlPlane(t *testing.T) {
	cs := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "cp", Labels: map[string]string{clusters.LabelZone: "cloud"}}})
	r := &Resolver{Kube: cs}
	f, err := r.Resolve(context.Background(), scenarios.Fault{Name: "f", Kind: scenarios.Stress,
		Target: &scenarios.Target{Zone: "cloud", AllowControlPlane: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Target.AllowControlPlane || len(f.Target.Nodes) != 1 {
		t.Errorf("resolved target %+v", f.Target)
	}
}
