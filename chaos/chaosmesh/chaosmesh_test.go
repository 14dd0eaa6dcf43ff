package chaosmesh

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

var opts = BuildOptions{Name: "edgeproof-f-1a2b", Namespace: "work", JournalID: "20260101t000000-1a2b"}

func podTarget(mode v1alpha1.SelectorMode, value string, containers ...string) *scenarios.Target {
	return &scenarios.Target{Pods: &v1alpha1.ContainerSelector{
		PodSelector: v1alpha1.PodSelector{
			Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
				LabelSelectors: map[string]string{scenarios.FixtureLabel: "gateway"}}},
			Mode:  mode,
			Value: value,
		},
		ContainerNames: containers,
	}}
}

func one(t *testing.T, f scenarios.Fault) client.Object {
	t.Helper()
	objs, err := Build(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	o := objs[0]
	if o.GetName() != opts.Name || o.GetNamespace() != "work" || o.GetLabels()[LabelManagedBy] != ManagedBy ||
		o.GetLabels()[LabelFault] != f.Name || o.GetLabels()[LabelJournalID] != opts.JournalID {
		t.Fatalf("metadata %+v", o)
	}
	if gvk := o.GetObjectKind().GroupVersionKind(); gvk.Group != "chaos-mesh.org" || gvk.Version != "v1alpha1" {
		t.Fatalf("gvk %v", gvk)
	}
	return o
}

func TestBuildPodChaos(t *testing.T) {
	f := scenarios.Fault{Name: "gateway-kill", Kind: scenarios.PodKill, Target: podTarget(v1alpha1.FixedPercentMode, "50"), Pod: &scenarios.PodParams{GracePeriod: 5}}
	pc := one(t, f).(*v1alpha1.PodChaos)
	s := pc.Spec
	if s.Action != v1alpha1.PodKillAction || s.GracePeriod != 5 || s.Duration != nil || s.Mode != v1alpha1.FixedPercentMode || s.Value != "50" {
		t.Fatalf("spec %+v", s)
	}
	if s.Selector.LabelSelectors[scenarios.FixtureLabel] != "gateway" || len(s.Selector.Namespaces) != 1 || s.Selector.Namespaces[0] != "work" {
		t.Fatalf("selector %+v", s.Selector)
	}
	if f.Target.Pods.Selector.Namespaces != nil {
		t.Fatal("Build changed the scenario's selector")
	}

	f = scenarios.Fault{Name: "broker-failure", Kind: scenarios.PodFailure, Duration: scenarios.Duration(30 * time.Second), Target: podTarget("", "")}
	pc = one(t, f).(*v1alpha1.PodChaos)
	if pc.Spec.Action != v1alpha1.PodFailureAction || pc.Spec.Duration == nil || *pc.Spec.Duration != "30s" || pc.Spec.Mode != v1alpha1.AllMode {
		t.Fatalf("pod-failure spec %+v", pc.Spec)
	}

	f = scenarios.Fault{Name: "ck", Kind: scenarios.ContainerKill, Target: podTarget(v1alpha1.OneMode, "", "app")}
	f.Target.Pods.Selector.Namespaces = []string{"other"}
	pc = one(t, f).(*v1alpha1.PodChaos)
	if pc.Spec.Action != v1alpha1.ContainerKillAction || len(pc.Spec.ContainerNames) != 1 || pc.Spec.ContainerNames[0] != "app" || pc.Spec.Selector.Namespaces[0] != "other" {
		t.Fatalf("container-kill spec %+v", pc.Spec)
	}
}

func TestBuildStressChaos(t *testing.T) {
	load := int32(80)
	f := scenarios.Fault{Name: "gateway-cpu", Kind: scenarios.Stress, Duration: scenarios.Duration(2 * time.Minute), Target: podTarget(v1alpha1.AllMode, "", "app"),
		Stress: &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 2, Load: &load}, Memory: &scenarios.MemoryStressor{Workers: 1, Size: "64MB"}}}
	sc := one(t, f).(*v1alpha1.StressChaos)
	s := sc.Spec
	if s.Stressors.CPUStressor.Workers != 2 || *s.Stressors.CPUStressor.Load != 80 || s.Stressors.MemoryStressor.Size != "64MB" ||
		*s.Duration != "2m0s" || s.ContainerNames[0] != "app" {
		t.Fatalf("spec %+v", s)
	}
}

func TestBuildNetworkChaos(t *testing.T) {
	u := &scenarios.UplinkParams{
		Bandwidth: &scenarios.BandwidthSpec{Rate: "256kbit"},
		Loss:      &scenarios.LossSpec{Loss: 2, Correlation: 25},
		Delay:     &scenarios.DelaySpec{Latency: scenarios.Duration(150 * time.Millisecond), Jitter: scenarios.Duration(50 * time.Millisecond)},
	}
	f := scenarios.Fault{Name: "narrow", Kind: scenarios.UplinkShape, Duration: scenarios.Duration(5 * time.Minute), Target: &scenarios.Target{Zone: "edge-b"}, Uplink: u}
	objs, err := Build(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("%d objects, want netem + bandwidth", len(objs))
	}
	netem, bw := objs[0].(*v1alpha1.NetworkChaos), objs[1].(*v1alpha1.NetworkChaos)
	if netem.Name != opts.Name || bw.Name != opts.Name+"-bandwidth" {
		t.Fatalf("names %s %s", netem.Name, bw.Name)
	}
	ns := netem.Spec
	if ns.Action != v1alpha1.NetemAction || ns.Direction != v1alpha1.To || ns.Delay.Latency != "150ms" || ns.Delay.Jitter != "50ms" ||
		ns.Loss.Loss != "2" || ns.Loss.Correlation != "25" || ns.Bandwidth != nil || *ns.Duration != "5m0s" {
		t.Fatalf("netem spec %+v", ns)
	}
	if ns.Selector.NodeSelectors[clusters.LabelZone] != "edge-b" || ns.Selector.LabelSelectors[scenarios.FixtureLabel] != "gateway" || ns.Mode != v1alpha1.AllMode {
		t.Fatalf("source %+v", ns.PodSelector)
	}
	if ns.Target == nil || ns.Target.Selector.NodeSelectors[clusters.LabelTier] != clusters.TierCloud || ns.Target.Selector.Namespaces[0] != "work" {
		t.Fatalf("target %+v", ns.Target)
	}
	bs := bw.Spec
	if bs.Action != v1alpha1.BandwidthAction || bs.Bandwidth.Rate != "256kbit" || bs.Bandwidth.Limit != scenarios.DefaultBandwidthLimit ||
		bs.Bandwidth.Buffer != scenarios.DefaultBandwidthBuffer || bs.Target != nil {
		t.Fatalf("bandwidth spec %+v", bs)
	}

	flap := scenarios.Fault{Name: "flap", Kind: scenarios.UplinkFlap, Duration: scenarios.Duration(10 * time.Second), Target: &scenarios.Target{Nodes: []string{"b1"}}}
	nc := one(t, flap).(*v1alpha1.NetworkChaos)
	if nc.Spec.Action != v1alpha1.PartitionAction || nc.Spec.Direction != v1alpha1.Both || nc.Spec.Selector.Nodes[0] != "b1" || nc.Spec.Target == nil {
		t.Fatalf("flap spec %+v", nc.Spec)
	}
}

func TestBuildUnsupported(t *testing.T) {
	for _, f := range []scenarios.Fault{
		{Kind: scenarios.NodePowerLoss, Target: &scenarios.Target{Nodes: []string{"a"}}},
		{Kind: scenarios.ZonePartition, Target: &scenarios.Target{Zone: "a"}},
		{Kind: scenarios.Stress, Target: &scenarios.Target{Nodes: []string{"a"}}, Stress: &scenarios.StressParams{}},
		{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Nodes: []string{"a"}}, Uplink: &scenarios.UplinkParams{Layer: scenarios.LayerProxy}},
	} {
		if _, err := Build(f, opts); err == nil {
			t.Errorf("%s built", f.Kind)
		} else if _, ok := chaos.IsUnsupported(err); !ok {
			t.Errorf("%s: %v is not an UnsupportedError", f.Kind, err)
		}
	}
	if _, err := Build(scenarios.Fault{Kind: scenarios.PodKill, Target: podTarget("", "")}, BuildOptions{}); err == nil {
		t.Error("built without name and namespace")
	}
}

func TestExperimentName(t *testing.T) {
	if got := ExperimentName("gateway-kill", "20260101t000000-1a2b3c4d"); got != "edgeproof-gateway-kill-1a2b3c4d" {
		t.Errorf("got %s", got)
	}
	long := ExperimentName(strings.Repeat("abcdefghi-", 6), "20260101t000000-1a2b3c4d")
	if len(long) > 49 || strings.Contains(long, "--") {
		t.Errorf("long name %q (%d)", long, len(long))
	}
}

func newBackend(t *testing.T, funcs *interceptor.Funcs) (*Backend, client.Client, *journal.Journal) {
	t.Helper()
	t.Setenv("EDGEPROOF_CACHE", t.TempDir())
	j, err := journal.Open("cm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	b := crfake.NewClientBuilder().WithScheme(Scheme())
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	cl := b.Build()
	kube := fake.NewClientset()
	be := New(cl, kube, j, nil, "work")
	be.Poll = 5 * time.Millisecond
	return be, cl, j
}

func list(t *testing.T, cl client.Client) []v1alpha1.PodChaos {
	t.Helper()
	var l v1alpha1.PodChaosList
	if err := cl.List(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// markInjected makes every experiment read back as injected, as Chaos
// Mesh's controller would report it.
var markInjected = interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := c.Get(ctx, key, obj, opts...); err != nil {
		return err
	}
	if s, ok := obj.(statusObject); ok {
		s.GetStatus().Conditions = []v1alpha1.ChaosCondition{{Type: v1alpha1.ConditionAllInjected, Status: corev1.ConditionTrue}}
	}
	return nil
}}

func TestInjectLasting(t *testing.T) {
	ctx := context.Background()
	be, cl, j := newBackend(t, &markInjected)
	f := scenarios.Fault{Name: "broker-failure", Kind: scenarios.PodFailure, Duration: scenarios.Duration(30 * time.Second), Target: podTarget(v1alpha1.AllMode, "")}
	rec, err := be.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	items := list(t, cl)
	if len(items) != 1 || !strings.HasPrefix(items[0].Name, "edgeproof-broker-failure-") {
		t.Fatalf("experiments %+v", items)
	}
	p, _ := j.Pending()
	if len(p) != 1 || p[0].Backend != Name || p[0].Recovery[0] != (journal.Action{Op: journal.OpDeleteCR, APIVersion: "chaos-mesh.org/v1alpha1", Kind: "PodChaos", Namespace: "work", Name: items[0].Name}) {
		t.Fatalf("pending %+v", p)
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if items := list(t, cl); len(items) != 0 {
		t.Fatal("experiment not deleted")
	}
	if p, _ := j.Pending(); len(p) != 0 {
		t.Fatal("entry not healed")
	}
	if err := rec(ctx); err != nil {
		t.Fatalf("second recovery: %v", err)
	}
}

func TestInjectInstant(t *testing.T) {
	be, cl, j := newBackend(t, &markInjected)
	rec, err := be.Inject(context.Background(), scenarios.Fault{Name: "kill", Kind: scenarios.PodKill, Target: podTarget(v1alpha1.OneMode, "")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list(t, cl)) != 0 {
		t.Fatal("finished pod-kill experiment kept")
	}
	all, healed, _ := j.All()
	if len(all) != 1 || !healed[0] {
		t.Fatalf("journal %+v %v", all, healed)
	}
	if err := rec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestInjectNeverInjected(t *testing.T) {
	be, cl, j := newBackend(t, nil)
	be.Wait = 30 * time.Millisecond
	_, err := be.Inject(context.Background(), scenarios.Fault{Name: "kill", Kind: scenarios.PodKill, Target: podTarget(v1alpha1.OneMode, "")})
	if err == nil || !strings.Contains(err.Error(), "not injected within") {
		t.Fatalf("err = %v", err)
	}
	if len(list(t, cl)) != 0 {
		t.Fatal("experiment left after failure")
	}
	if p, _ := j.Pending(); len(p) != 0 {
		t.Fatal("entry left pending after undo")
	}
}

func TestInjectResolvesNodes(t *testing.T) {
	be, cl, _ := newBackend(t, nil)
	be.Wait = 0
	kube := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b1", Labels: map[string]string{clusters.LabelZone: "edge-b"}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b2", Labels: map[string]string{clusters.LabelZone: "edge-b"}}},
	)
	be.Resolver = &chaos.Resolver{Kube: kube}
	rec, err := be.Inject(context.Background(), scenarios.Fault{Name: "flap", Kind: scenarios.UplinkFlap, Duration: scenarios.Duration(time.Second),
		Target: &scenarios.Target{Zone: "edge-b", Mode: v1alpha1.OneMode}})
	if err != nil {
		t.Fatal(err)
	}
	var l v1alpha1.NetworkChaosList
	if err := cl.List(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || len(l.Items[0].Spec.Selector.Nodes) != 1 || l.Items[0].Spec.Selector.NodeSelectors != nil {
		t.Fatalf("experiments %+v", l.Items)
	}
	if err := rec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLeftovers(t *testing.T) {
	mine := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "edgeproof-x", Labels: map[string]string{LabelManagedBy: ManagedBy, LabelFault: "x"}}}
	theirs := &v1alpha1.NetworkChaos{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "other"}}
	cl := crfake.NewClientBuilder().WithScheme(Scheme()).WithObjects(mine, theirs).Build()
	got, err := Leftovers(context.Background(), cl)
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "work/edgeproof-x") {
		t.Fatalf("Leftovers = %q, %v", got, err)
	}
}

func TestDetect(t *testing.T) {
	ctx := context.Background()
	ready := func(component string) runtime.Object {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "chaos-mesh", Name: component, Labels: map[string]string{
				"app.kubernetes.io/name": "chaos-mesh", "app.kubernetes.io/component": component}},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		}
	}
	resources := &metav1.APIResourceList{GroupVersion: "chaos-mesh.org/v1alpha1", APIResources: []metav1.APIResource{
		{Name: "podchaos"}, {Name: "stresschaos"}, {Name: "networkchaos"}, {Name: "iochaos"}}}

	kube := fake.NewClientset()
	s, err := Detect(ctx, kube)
	if err != nil || s.CRDs || s.Installed() || !strings.Contains(strings.Join(s.Missing, ","), "podchaos.chaos-mesh.org") {
		t.Fatalf("empty cluster: %+v, %v", s, err)
	}

	kube = fake.NewClientset(ready("controller-manager"))
	kube.Resources = []*metav1.APIResourceList{resources}
	s, err = Detect(ctx, kube)
	if err != nil || !s.CRDs || !s.Controller || s.Daemon || !s.Installed() {
		t.Fatalf("no daemon: %+v, %v", s, err)
	}
	be := &Backend{Status: &s}
	if ok, _, _ := be.Preflight(ctx, scenarios.Fault{Kind: scenarios.PodKill, Target: podTarget("", "")}); !ok {
		t.Error("pod-kill needs only the controller")
	}
	if ok, reason, _ := be.Preflight(ctx, scenarios.Fault{Kind: scenarios.ContainerKill, Target: podTarget("", "")}); ok || !strings.Contains(reason, "chaos-daemon") {
		t.Errorf("container-kill without daemon: %v %q", ok, reason)
	}
	if ok, reason, _ := be.Preflight(ctx, scenarios.Fault{Kind: scenarios.NodeStop, Target: &scenarios.Target{Nodes: []string{"a"}}}); ok || !strings.Contains(reason, "needs the native backend") {
		t.Errorf("node-stop: %v %q", ok, reason)
	}

	kube = fake.NewClientset()
	kube.Resources = []*metav1.APIResourceList{{GroupVersion: "chaos-mesh.org/v1alpha1", APIResources: []metav1.APIResource{{Name: "podchaos"}}}}
	s, _ = Detect(ctx, kube)
	if s.CRDs {
		t.Fatalf("partial CRDs taken as installed: %+v", s)
	}
	be = &Backend{Status: &s}
	if ok, reason, _ := be.Preflight(ctx, scenarios.Fault{Kind: scenarios.PodKill, Target: podTarget("", "")}); ok || !strings.Contains(reason, "Chaos Mesh is not ready: missing CRD stresschaos.chaos-mesh.org") {
		t.Errorf("preflight: %v %q", ok, reason)
	}
}
