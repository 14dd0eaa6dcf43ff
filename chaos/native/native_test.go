package native

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/proof"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// env is a fake cluster: control plane cp (cloud), a1 and a2 in edge-a,
// b1 in edge-b.
type env struct {
	t    *testing.T
	fb   *fakecluster.Driver
	c    *clusters.Cluster
	kube *fake.Clientset
	j    *journal.Journal
	b    *Backend
}

func newEnv(t *testing.T, objs ...runtime.Object) *env {
	t.Helper()
	fb, c := fakecluster.New(t, "edge", "cp", "a1", "a2", "b1")
	edge := func(zone string) map[string]string {
		return map[string]string{clusters.LabelZone: zone, clusters.LabelTier: clusters.TierEdge}
	}
	nodes := []runtime.Object{
		fakecluster.KubeNode("cp", "172.18.0.2", "10.244.0.0/24", map[string]string{
			clusters.LabelZone: "cloud", clusters.LabelTier: clusters.TierCloud, LabelControlPlane: ""}),
		fakecluster.KubeNode("a1", "172.18.0.3", "10.244.1.0/24", edge("edge-a")),
		fakecluster.KubeNode("a2", "172.18.0.4", "10.244.2.0/24", edge("edge-a")),
		fakecluster.KubeNode("b1", "172.18.0.5", "10.244.3.0/24", edge("edge-b")),
	}
	kube := fake.NewClientset(append(nodes, objs...)...)
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	b := New(c, kube, j, &chaos.Resolver{Kube: kube, Namespace: "work"})
	return &env{t: t, fb: fb, c: c, kube: kube, j: j, b: b}
}

func (e *env) pending() []journal.Entry {
	e.t.Helper()
	p, err := e.j.Pending()
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) state(node string) string {
	s, _ := e.fb.Node(node).State(context.Background())
	return s
}

func nodeFault(kind scenarios.FaultKind, nodes ...string) scenarios.Fault {
	return scenarios.Fault{Name: "f", Kind: kind, Target: &scenarios.Target{Nodes: nodes}}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind  scenarios.FaultKind
		call  string
		state string
		op    journal.Op
	}{
		{scenarios.NodePowerLoss, "a1 kill", "exited", journal.OpStartNode},
		{scenarios.NodeStop, "a1 stop", "exited", journal.OpStartNode},
		{scenarios.NodePause, "a1 pause", "paused", journal.OpResumeNode},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			e := newEnv(t)
			rec, err := e.b.Inject(ctx, nodeFault(c.kind, "a1"))
			if err != nil {
				t.Fatal(err)
			}
			if got := e.state("a1"); got != c.state {
				t.Fatalf("a1 is %s, want %s", got, c.state)
			}
			if !slices.Contains(e.fb.Calls(), c.call) {
				t.Fatalf("calls %v lack %q", e.fb.Calls(), c.call)
			}
			p := e.pending()
			if len(p) != 1 || p[0].Recovery[0] != (journal.Action{Op: c.op, Node: "a1"}) || p[0].Backend != Name || p[0].Kind != string(c.kind) {
				t.Fatalf("pending = %+v", p)
			}
			if err := rec(ctx); err != nil {
				t.Fatal(err)
			}
			if got := e.state("a1"); got != "running" {
				t.Fatalf("a1 is %s after recovery", got)
			}
			if p := e.pending(); len(p) != 0 {
				t.Fatalf("pending after recovery: %+v", p)
			}
			if err := rec(ctx); err != nil {
				t.Fatalf("second recovery: %v", err)
			}
		})
	}
}

func TestReboot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec, err := e.b.Inject(ctx, nodeFault(scenarios.NodeReboot, "a1", "b1"))
	if err != nil {
		t.Fatal(err)
	}
	calls := fakecluster.Join(e.fb.Calls())
	for _, n := range []string{"a1", "b1"} {
		i, j := strings.Index(calls, n+" stop"), strings.Index(calls, n+" start")
		if i < 0 || j < i {
			t.Fatalf("%s not stopped then started:\n%s", n, calls)
		}
		if e.state(n) != "running" {
			t.Fatalf("%s is %s", n, e.state(n))
		}
	}
	all, healed, _ := e.j.All()
	if len(all) != 1 || !healed[0] || all[0].Recovery[0].Op != journal.OpStartNode {
		t.Fatalf("journal: %+v healed %v", all, healed)
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLinkDown(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec, err := e.b.Inject(ctx, nodeFault(scenarios.NodeLinkDown, "a1"))
	if err != nil {
		t.Fatal(err)
	}
	if e.fb.Node("a1").LinkUp() {
		t.Fatal("a1's link is up after node-link-down")
	}
	if e.state("a1") != "running" {
		t.Fatalf("a1 is %s; a pulled cable must not stop it", e.state("a1"))
	}
	p := e.pending()
	if len(p) != 1 || p[0].Recovery[0] != (journal.Action{Op: journal.OpLinkUp, Node: "a1"}) {
		t.Fatalf("pending = %+v", p)
	}
	// A reboot during the cut comes up with its link up: it is cut again.
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.NodeReboot, "a1")); err != nil {
		t.Fatal(err)
	}
	if e.fb.Node("a1").LinkUp() {
		t.Fatal("a1's link came back with the reboot, before the fault's end")
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if !e.fb.Node("a1").LinkUp() {
		t.Fatal("a1's link still down after recovery")
	}
	if p := e.pending(); len(p) != 0 {
		t.Fatalf("pending after recovery: %+v", p)
	}
	// A crashed run's cut is healed from the journal; a node without
	// power needs nothing.
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.NodeLinkDown, "a1", "b1")); err != nil {
		t.Fatal(err)
	}
	e.fb.Node("b1").SetState("exited")
	if _, err := recovery.RecoverAll(ctx, e.c, e.j); err != nil {
		t.Fatal(err)
	}
	if !e.fb.Node("a1").LinkUp() || len(e.pending()) != 0 {
		t.Fatalf("after RecoverAll: a1 link up %v, pending %+v", e.fb.Node("a1").LinkUp(), e.pending())
	}
}

// A run that dies after injecting leaves a pending entry; recover heals it
// from the journal alone.
func TestCrashThenRecoverAll(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.NodePowerLoss, "a1", "a2")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.NodeIsolate, "b1")); err != nil {
		t.Fatal(err)
	}
	j2, err := journal.Open(e.c.Name) // the recover command's own handle
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	results, err := recovery.RecoverAll(ctx, e.c, j2)
	if err != nil || len(results) != 2 {
		t.Fatalf("RecoverAll = %v, %v", results, err)
	}
	for _, n := range []string{"a1", "a2"} {
		if e.state(n) != "running" {
			t.Errorf("%s is %s", n, e.state(n))
		}
	}
	if rules := strings.Join(e.fb.Node("b1").Rules(), "\n"); strings.Contains(rules, "edgeproof:") {
		t.Errorf("rules left on b1:\n%s", rules)
	}
}

func TestFailedInjectionIsUndone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.fb.Node("a2").SetState("exited") // cannot be paused
	_, err := e.b.Inject(ctx, nodeFault(scenarios.NodePause, "a1", "a2"))
	if err == nil {
		t.Fatal("pausing a stopped node succeeded")
	}
	if e.state("a1") != "running" {
		t.Fatalf("a1 left %s", e.state("a1"))
	}
	if p := e.pending(); len(p) != 0 {
		t.Fatalf("pending: %+v", p)
	}
}

func TestUnknownNode(t *testing.T) {
	e := newEnv(t)
	_, err := e.b.Inject(context.Background(), nodeFault(scenarios.NodeStop, "zz"))
	if !errors.Is(err, chaos.ErrNoMatch) {
		t.Fatalf("err = %v", err)
	}
	if all, _, _ := e.j.All(); len(all) != 0 {
		t.Fatal("journaled a fault that was never injected")
	}
}

// findKubelet is how kubelet-stop finds the unit a node's kubelet runs as.
const findKubelet = "a1 exec systemctl show -p LoadState --value kubelet k3s-agent k3s snap.microk8s.daemon-kubelite"

// A k3s agent runs the kubelet inside its own unit, and has no runtime
// unit of its own: kubelet-stop stops the agent, runtime-stop skips.
func TestServiceStopOnK3sAgent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a1 := e.fb.Node("a1")
	a1.RemoveUnit("kubelet")
	a1.RemoveUnit("containerd")
	a1.SetUnit("k3s-agent", true)
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.KubeletStop, "a1")); err != nil {
		t.Fatal(err)
	}
	if a1.UnitActive("k3s-agent") {
		t.Fatal("k3s-agent still active")
	}
	if p := e.pending(); len(p) != 1 || p[0].Recovery[0].Unit != "k3s-agent" {
		t.Fatalf("pending = %+v", p)
	}
	ok, why, err := e.b.Preflight(ctx, nodeFault(scenarios.RuntimeStop, "a1"))
	if err != nil || ok || !strings.Contains(why, "k3s runs containerd inside its own unit") {
		t.Fatalf("runtime-stop on k3s: ok %v, %q, %v", ok, why, err)
	}
}

func TestServiceStop(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind  scenarios.FaultKind
		sig   scenarios.Signal
		unit  string
		calls []string
	}{
		{scenarios.KubeletStop, "", "kubelet", []string{findKubelet, "a1 exec systemctl stop kubelet"}},
		{scenarios.KubeletStop, scenarios.SignalKill, "kubelet", []string{findKubelet,
			"a1 exec systemctl kill --kill-who=main --signal=KILL kubelet", "a1 exec systemctl stop kubelet"}},
		{scenarios.RuntimeStop, scenarios.SignalTerm, "containerd", []string{
			"a1 exec systemctl show -p LoadState --value containerd snap.microk8s.daemon-containerd crio", "a1 exec systemctl stop containerd"}},
	} {
		t.Run(string(c.kind)+string(c.sig), func(t *testing.T) {
			e := newEnv(t)
			f := nodeFault(c.kind, "a1")
			f.Process = &scenarios.ProcessParams{Signal: c.sig}
			rec, err := e.b.Inject(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.fb.Calls(); !slices.Equal(got, c.calls) {
				t.Fatalf("calls %q, want %q", got, c.calls)
			}
			if e.fb.Node("a1").UnitActive(c.unit) {
				t.Fatalf("%s still active", c.unit)
			}
			if p := e.pending(); len(p) != 1 || p[0].Recovery[0] != (journal.Action{Op: journal.OpSystemctlStart, Node: "a1", Unit: c.unit}) {
				t.Fatalf("pending = %+v", p)
			}
			if err := rec(ctx); err != nil {
				t.Fatal(err)
			}
			if !e.fb.Node("a1").UnitActive(c.unit) {
				t.Fatalf("%s not started again", c.unit)
			}
		})
	}
}

func rulesWith(n *fakecluster.Node, comment string) []string {
	var out []string
	for _, r := range n.Rules() {
		if strings.Contains(r, `"`+comment+`"`) {
			out = append(out, r)
		}
	}
	return out
}

func TestNodeIsolate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := nodeFault(scenarios.NodeIsolate, "a1")
	f.Isolation = &scenarios.IsolationParams{Direction: scenarios.DirectionBoth}
	rec, err := e.b.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	p := e.pending()
	if len(p) != 1 {
		t.Fatalf("pending = %+v", p)
	}
	comment := "edgeproof:" + p[0].ID
	if a := p[0].Recovery[0]; a.Op != journal.OpIptablesFlushComment || a.Node != "a1" || a.Comment != comment {
		t.Fatalf("recovery = %+v", a)
	}
	got := rulesWith(e.fb.Node("a1"), comment)
	want := []string{
		`-A FORWARD -s 172.18.0.2/32 -m comment --comment "` + comment + `" -j DROP`,
		`-A INPUT -s 172.18.0.2/32 -m comment --comment "` + comment + `" -j DROP`,
		`-A FORWARD -d 172.18.0.2/32 -m comment --comment "` + comment + `" -j DROP`,
		`-A OUTPUT -d 172.18.0.2/32 -m comment --comment "` + comment + `" -j DROP`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rules on a1:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if rules := e.fb.Node("a1").Rules(); len(rules) != 1 {
		t.Fatalf("rules after recovery: %v (kube-proxy's rule must stay)", rules)
	}

	// Egress only.
	f.Isolation.Direction = scenarios.DirectionEgress
	if _, err := e.b.Inject(ctx, f); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fb.Node("a1").Rules()); n != 3 {
		t.Fatalf("%d rules, want kube-proxy's + OUTPUT + FORWARD", n)
	}

	// The control plane cannot be cut from itself.
	if _, err := e.b.Inject(ctx, nodeFault(scenarios.NodeIsolate, "cp")); err == nil {
		t.Fatal("isolated the control plane from itself")
	}
}

func TestZonePartition(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := scenarios.Fault{Name: "p", Kind: scenarios.ZonePartition, Target: &scenarios.Target{Zone: "edge-a"}}
	rec, err := e.b.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	p := e.pending()
	if len(p) != 1 || !slices.Equal(p[0].Targets, []string{"a1", "a2"}) || len(p[0].Recovery) != 2 {
		t.Fatalf("pending = %+v", p)
	}
	comment := "edgeproof:" + p[0].ID
	for _, n := range []string{"a1", "a2"} {
		rules := rulesWith(e.fb.Node(n), comment)
		// cp and b1, IP and pod CIDR each, 4 rules per address.
		if len(rules) != 16 {
			t.Fatalf("%s has %d rules, want 16:\n%s", n, len(rules), strings.Join(rules, "\n"))
		}
		all := strings.Join(rules, "\n")
		for _, peer := range []string{"172.18.0.2/32", "10.244.0.0/24", "172.18.0.5/32", "10.244.3.0/24"} {
			if !strings.Contains(all, peer) {
				t.Errorf("%s: no rule against %s", n, peer)
			}
		}
		if strings.Contains(all, "172.18.0.4") || strings.Contains(all, "172.18.0.3") {
			t.Errorf("%s: zone members cut from each other", n)
		}
	}
	if len(e.fb.Node("b1").Rules()) != 1 || len(e.fb.Node("cp").Rules()) != 1 {
		t.Fatal("rules put outside the zone")
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a1", "a2"} {
		if len(e.fb.Node(n).Rules()) != 1 {
			t.Fatalf("%s keeps rules: %v", n, e.fb.Node(n).Rules())
		}
	}
}

func TestUplinkFlap(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	rec, err := e.b.Inject(ctx, scenarios.Fault{Name: "flap", Kind: scenarios.UplinkFlap, Target: &scenarios.Target{Zone: "edge-b"}})
	if err != nil {
		t.Fatal(err)
	}
	rules := strings.Join(e.fb.Node("b1").Rules(), "\n")
	// Cut from the cloud tier (cp) only, both ways, node and pods.
	for _, want := range []string{"-A OUTPUT -d 172.18.0.2/32", "-A INPUT -s 10.244.0.0/24", "-A FORWARD -d 10.244.0.0/24"} {
		if !strings.Contains(rules, want) {
			t.Errorf("no %q in\n%s", want, rules)
		}
	}
	if strings.Contains(rules, "172.18.0.3") {
		t.Error("edge nodes cut from each other")
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if len(e.fb.Node("b1").Rules()) != 1 {
		t.Fatal("rules left")
	}
}

func TestUplinkShape(t *testing.T) {
	ctx := context.Background()
	shape := func(u scenarios.UplinkParams) scenarios.Fault {
		return scenarios.Fault{Name: "narrow", Kind: scenarios.UplinkShape, Target: &scenarios.Target{Nodes: []string{"b1"}}, Uplink: &u}
	}
	t.Run("bandwidth and loss without netem", func(t *testing.T) {
		e := newEnv(t)
		e.fb.NoNetem = true
		rec, err := e.b.Inject(ctx, shape(scenarios.UplinkParams{
			Bandwidth: &scenarios.BandwidthSpec{Rate: "256kbit"},
			Loss:      &scenarios.LossSpec{Loss: 2},
		}))
		if err != nil {
			t.Fatal(err)
		}
		calls := fakecluster.Join(e.fb.Calls())
		if !strings.Contains(calls, "b1 exec tc qdisc replace dev eth0 root handle 1: tbf rate 256000bit burst 10000 limit 65536") {
			t.Fatalf("no tbf:\n%s", calls)
		}
		if root, _ := e.fb.Node("b1").Qdisc(); root != "tbf" {
			t.Fatalf("root qdisc %s", root)
		}
		rules := strings.Join(e.fb.Node("b1").Rules(), "\n")
		if strings.Count(rules, "--probability 0.02") != 4 || !strings.Contains(rules, "-A FORWARD -d 10.244.0.0/24 -m statistic") {
			t.Fatalf("loss rules:\n%s", rules)
		}
		p := e.pending()
		if len(p) != 1 || len(p[0].Recovery) != 2 || p[0].Recovery[0].Op != journal.OpTCDelRoot || p[0].Recovery[1].Op != journal.OpIptablesFlushComment {
			t.Fatalf("pending = %+v", p)
		}
		if err := rec(ctx); err != nil {
			t.Fatal(err)
		}
		if root, _ := e.fb.Node("b1").Qdisc(); root != "noqueue" || len(e.fb.Node("b1").Rules()) != 1 {
			t.Fatal("shaping left behind")
		}
	})
	t.Run("latency without netem", func(t *testing.T) {
		e := newEnv(t)
		e.fb.NoNetem = true
		_, err := e.b.Inject(ctx, shape(scenarios.UplinkParams{Delay: &scenarios.DelaySpec{Latency: scenarios.Duration(150e6)}}))
		reason, ok := chaos.IsUnsupported(err)
		if !ok || reason != "node-level latency needs sch_netem, absent on this host" {
			t.Fatalf("err = %v", err)
		}
		if all, _, _ := e.j.All(); len(all) != 0 {
			t.Fatal("journaled an unsupported fault")
		}
	})
	t.Run("latency and bandwidth with netem", func(t *testing.T) {
		e := newEnv(t)
		rec, err := e.b.Inject(ctx, shape(scenarios.UplinkParams{
			Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit", Buffer: 5000, Limit: 1000},
			Delay:     &scenarios.DelaySpec{Latency: scenarios.Duration(150e6), Jitter: scenarios.Duration(50e6)},
			Loss:      &scenarios.LossSpec{Loss: 2, Correlation: 25},
		}))
		if err != nil {
			t.Fatal(err)
		}
		calls := fakecluster.Join(e.fb.Calls())
		for _, want := range []string{
			"tc qdisc replace dev eth0 root handle 1: netem delay 150000us 50000us loss 2% 25%",
			"tc qdisc add dev eth0 parent 1:1 handle 10: tbf rate 1000000bit burst 5000 limit 1000",
		} {
			if !strings.Contains(calls, want) {
				t.Fatalf("no %q in\n%s", want, calls)
			}
		}
		if len(e.fb.Node("b1").Rules()) != 1 {
			t.Fatal("correlated loss went to iptables")
		}
		if err := rec(ctx); err != nil {
			t.Fatal(err)
		}
		if root, child := e.fb.Node("b1").Qdisc(); root != "noqueue" || child != "" {
			t.Fatal("qdiscs left")
		}
	})
}

func TestPodKill(t *testing.T) {
	ctx := context.Background()
	gw := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: name, Labels: map[string]string{"app": "gateway"}}, Spec: corev1.PodSpec{NodeName: "a1"}}
	}
	e := newEnv(t, gw("gw-1"), gw("gw-2"))
	f := scenarios.Fault{Name: "kill", Kind: scenarios.PodKill, Target: &scenarios.Target{Pods: &v1alpha1.ContainerSelector{
		PodSelector: v1alpha1.PodSelector{Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			LabelSelectors: map[string]string{"app": "gateway"}}}, Mode: v1alpha1.AllMode}}}}
	rec, err := e.b.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, a := range e.kube.Actions() {
		if d, ok := a.(k8stesting.DeleteActionImpl); ok {
			if g := d.DeleteOptions.GracePeriodSeconds; g == nil || *g != 0 {
				t.Errorf("grace period %v, want 0", g)
			}
			deleted = append(deleted, d.Name)
		}
	}
	if !slices.Equal(deleted, []string{"gw-1", "gw-2"}) {
		t.Fatalf("deleted %v", deleted)
	}
	all, healed, _ := e.j.All()
	if len(all) != 1 || !healed[0] || !slices.Equal(all[0].Targets, []string{"work/gw-1", "work/gw-2"}) {
		t.Fatalf("journal %+v %v", all, healed)
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestContainerKill(t *testing.T) {
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "gw-1"},
		Spec:       corev1.PodSpec{NodeName: "a1", Containers: []corev1.Container{{Name: "app"}, {Name: "side"}}},
	}
	e := newEnv(t, p)
	n := e.fb.Node("a1")
	n.AddContainer(fakecluster.Container{ID: "c1", Name: "app", Pod: "gw-1", Namespace: "work"})
	n.AddContainer(fakecluster.Container{ID: "c2", Name: "side", Pod: "gw-1", Namespace: "work"})
	target := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{
		Selector: v1alpha1.PodSelectorSpec{Pods: map[string][]string{"work": {"gw-1"}}}}}}
	if _, err := e.b.Inject(ctx, scenarios.Fault{Name: "ck", Kind: scenarios.ContainerKill, Target: target}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a1 exec crictl ps -q --name ^app$ --label io.kubernetes.pod.name=gw-1 --label io.kubernetes.pod.namespace=work",
		"a1 exec crictl stop -t 0 c1",
		// Checked from outside: c1 is no longer listed as running.
		"a1 exec crictl ps -q --name ^app$ --label io.kubernetes.pod.name=gw-1 --label io.kubernetes.pod.namespace=work",
	}
	if got := e.fb.Calls(); !slices.Equal(got, want) {
		t.Fatalf("calls %q, want %q", got, want)
	}
	if cs := n.Containers(); len(cs) != 1 || cs[0].Name != "side" {
		t.Fatalf("containers left %+v", cs)
	}
	// Named container, now gone: an error, journal still closed.
	target.Pods.ContainerNames = []string{"app"}
	if _, err := e.b.Inject(ctx, scenarios.Fault{Name: "ck", Kind: scenarios.ContainerKill, Target: target}); err == nil || !strings.Contains(err.Error(), "no running container app") {
		t.Fatalf("err = %v", err)
	}
	if p := e.pending(); len(p) != 0 {
		t.Fatalf("pending %+v", p)
	}
}

func TestNodeStress(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	load := int32(50)
	f := nodeFault(scenarios.Stress, "a1")
	f.Stress = &scenarios.StressParams{
		CPU:    &scenarios.CPUStressor{Workers: 2, Load: &load},
		Memory: &scenarios.MemoryStressor{Workers: 1, Size: "10%"},
	}
	rec, err := e.b.Inject(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	p := e.pending()
	unit := StressUnitPrefix + p[0].ID
	if p[0].Recovery[0] != (journal.Action{Op: journal.OpSystemctlStop, Node: "a1", Unit: unit}) {
		t.Fatalf("recovery %+v", p[0].Recovery)
	}
	calls := fakecluster.Join(e.fb.Calls())
	if strings.Contains(calls, recovery.DeadManPrefix) {
		t.Fatalf("a dead-man timer on a cluster edgeproof reaches directly:\n%s", calls)
	}
	// 10% of the fake's MemAvailable (1024000 kB).
	for _, want := range []string{"systemd-run --unit=" + unit + " --collect --quiet -p CPUQuota=100% sh -c", "head -c 104857600 /dev/zero"} {
		if !strings.Contains(calls, want) {
			t.Fatalf("no %q in\n%s", want, calls)
		}
	}
	if !e.fb.Node("a1").UnitActive(unit) {
		t.Fatal("stress unit not running")
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if e.fb.Node("a1").UnitActive(unit) {
		t.Fatal("stress unit still running")
	}
}

func TestNotNative(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pods := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{}}
	for _, c := range []struct {
		f        scenarios.Fault
		workload bool
	}{
		{scenarios.Fault{Kind: scenarios.PodFailure, Target: pods}, false},
		{scenarios.Fault{Kind: scenarios.Stress, Target: pods, Stress: &scenarios.StressParams{}}, false},
		{scenarios.Fault{Kind: scenarios.DeviceStorm}, true},
		{scenarios.Fault{Kind: scenarios.DeviceLoad}, true},
		{scenarios.Fault{Kind: scenarios.RollingUpdate}, true},
		{scenarios.Fault{Kind: scenarios.UplinkShape, Uplink: &scenarios.UplinkParams{Layer: scenarios.LayerProxy}}, true},
	} {
		_, err := e.b.Inject(ctx, c.f)
		_, unsup := chaos.IsUnsupported(err)
		if c.workload != chaos.IsWorkloadFault(err) || c.workload == unsup {
			t.Errorf("%s: err = %v", c.f.Kind, err)
		}
	}
	if len(e.fb.Calls()) != 0 {
		t.Fatalf("touched nodes: %v", e.fb.Calls())
	}
}

// agentNode makes a node behave as one reached through the node agent:
// no power, and nothing that cuts it off from the API server.
func agentNode(name string) func(*env) {
	return func(e *env) {
		e.fb.Node(name).Lacking = map[clusters.Op]string{
			clusters.OpPower: "no power", clusters.OpStop: "no power", clusters.OpPause: "no power",
			clusters.OpReboot: "no power", clusters.OpCutOff: "cut off"}
	}
}

// switchedNode is an agent node whose power a switch outside it cuts.
func switchedNode(name string, checkErr error) func(*env) {
	return func(e *env) {
		agentNode(name)(e)
		e.fb.Node(name).Remote = true
		e.fb.Node(name).Switched = true
		e.fb.Node(name).SwitchErr = checkErr
	}
}

func longFault(kind scenarios.FaultKind, nodes ...string) scenarios.Fault {
	f := nodeFault(kind, nodes...)
	f.Duration = scenarios.Duration(30 * time.Second)
	return f
}

func TestPowerLossThroughASwitchIsRecoveredWhateverTheNodeSays(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	switchedNode("a1", nil)(e)
	rec, err := e.b.Inject(ctx, longFault(scenarios.NodePowerLoss, "a1"))
	if err != nil {
		t.Fatal(err)
	}
	p := e.pending()
	if len(p) != 1 || p[0].Recovery[0] != (journal.Action{Op: journal.OpPowerOn, Node: "a1"}) {
		t.Fatalf("pending = %+v", p)
	}
	if !proof.FromAPI(p[0]) {
		t.Error("a switched power loss must be shown in force from the API")
	}
	for _, c := range e.fb.Calls() {
		if strings.Contains(c, recovery.DeadManPrefix) {
			t.Errorf("a node without power cannot run a dead-man timer: %s", c)
		}
	}
	if err := rec(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fakecluster.Join(e.fb.Calls()), "a1 arm-power-on") {
		t.Errorf("no dead-man armed for the power-on: %v", e.fb.Calls())
	}
	if !slices.Contains(e.fb.Calls(), "a1 start") || e.state("a1") != "running" {
		t.Fatalf("a1 was not powered on: %v", e.fb.Calls())
	}
	if p := e.pending(); len(p) != 0 {
		t.Fatalf("pending after recovery: %+v", p)
	}
}

func TestPreflight(t *testing.T) {
	ctx := context.Background()
	pods := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{}}
	delay := &scenarios.UplinkParams{Delay: &scenarios.DelaySpec{Latency: scenarios.Duration(150e6)}}
	corrLoss := &scenarios.UplinkParams{Loss: &scenarios.LossSpec{Loss: 2, Correlation: 25}}
	loss := &scenarios.UplinkParams{Loss: &scenarios.LossSpec{Loss: 2}, Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit"}}
	cases := []struct {
		name    string
		f       scenarios.Fault
		setup   func(*env)
		ok      bool
		reason  string // substring
		err     string // substring of the error: the check could not be made
		noNetem bool
	}{
		{name: "stop", f: nodeFault(scenarios.NodeStop, "a1"), ok: true},
		{name: "zone one", f: scenarios.Fault{Kind: scenarios.NodePowerLoss, Target: &scenarios.Target{Zone: "edge-a", Mode: v1alpha1.OneMode}}, ok: true},
		{name: "paused node", f: nodeFault(scenarios.NodeStop, "a1"), setup: func(e *env) { e.fb.Node("a1").SetState("paused") }, err: "node a1 is paused, not running"},
		{name: "missing node", f: nodeFault(scenarios.NodeStop, "zz"), reason: `node "zz" not found`},
		{name: "empty zone", f: scenarios.Fault{Kind: scenarios.NodeStop, Target: &scenarios.Target{Zone: "edge-z"}}, reason: "zone edge-z: no nodes"},
		{name: "kubelet", f: nodeFault(scenarios.KubeletStop, "a1"), ok: true},
		{name: "no containerd unit", f: nodeFault(scenarios.RuntimeStop, "a1"), setup: func(e *env) {
			e.fb.Node("a1").ExecHook = func(args []string, _ []byte) ([]byte, error, bool) {
				if args[0] == "systemctl" && args[1] == "show" {
					return []byte(strings.Repeat("not-found\n\n", len(args)-5)), nil, true
				}
				return nil, nil, false
			}
		}, reason: "node a1 has no container runtime of its own unit"},
		{name: "isolate", f: nodeFault(scenarios.NodeIsolate, "b1"), ok: true},
		{name: "isolate control plane", f: nodeFault(scenarios.NodeIsolate, "cp"), reason: "other side of the cut"},
		{name: "partition", f: scenarios.Fault{Kind: scenarios.ZonePartition, Target: &scenarios.Target{Zone: "edge-b"}}, ok: true},
		{name: "flap", f: scenarios.Fault{Kind: scenarios.UplinkFlap, Target: &scenarios.Target{Zone: "edge-b"}}, ok: true},
		{name: "latency no netem", f: scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: delay},
			noNetem: true, reason: "node-level latency needs sch_netem, absent on this host (probed on node b1)"},
		{name: "correlated loss no netem", f: scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: corrLoss},
			noNetem: true, reason: "correlated loss needs sch_netem"},
		{name: "loss and bandwidth no netem", f: scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: loss}, noNetem: true, ok: true},
		{name: "latency with netem", f: scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: delay}, ok: true},
		{name: "bad rate", f: scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: &scenarios.UplinkParams{Bandwidth: &scenarios.BandwidthSpec{Rate: "fast"}}}, err: "invalid rate"},
		{name: "pod-kill", f: scenarios.Fault{Kind: scenarios.PodKill, Target: pods}, ok: true},
		{name: "container-kill", f: scenarios.Fault{Kind: scenarios.ContainerKill, Target: pods}, ok: true},
		{name: "pod-failure", f: scenarios.Fault{Kind: scenarios.PodFailure, Target: pods}, reason: "pod-failure needs the chaos-mesh backend"},
		{name: "stress pods", f: scenarios.Fault{Kind: scenarios.Stress, Target: pods, Stress: &scenarios.StressParams{}}, reason: "stress inside pods needs the chaos-mesh backend"},
		{name: "stress node", f: scenarios.Fault{Kind: scenarios.Stress, Target: &scenarios.Target{Nodes: []string{"a1"}}, Stress: &scenarios.StressParams{}}, ok: true},
		{name: "power-loss on a node without a power hand", f: nodeFault(scenarios.NodePowerLoss, "a1"), setup: agentNode("a1"), reason: "node a1: no power"},
		{name: "power-loss through a power switch", f: longFault(scenarios.NodePowerLoss, "a1"), setup: switchedNode("a1", nil), ok: true},
		{name: "power-loss too short for the API to show it", f: nodeFault(scenarios.NodePowerLoss, "a1"), setup: switchedNode("a1", nil), reason: "needs at least 20s"},
		{name: "power switch that cannot reach the node", f: longFault(scenarios.NodePowerLoss, "a1"),
			setup: switchedNode("a1", errors.New("power hook pdu status: no route to host")), err: "no route to host"},
		{name: "isolate through an agent", f: nodeFault(scenarios.NodeIsolate, "b1"), setup: agentNode("b1"), reason: "node b1: cut off"},
		{name: "kubelet through an agent", f: nodeFault(scenarios.KubeletStop, "a1"), setup: agentNode("a1"), reason: "node a1: cut off"},
		{name: "partition through an agent", f: scenarios.Fault{Kind: scenarios.ZonePartition, Target: &scenarios.Target{Zone: "edge-b"}}, setup: agentNode("b1"), reason: "cut off"},
		{name: "flap to a cloud tier on the control plane, through an agent", f: scenarios.Fault{Kind: scenarios.UplinkFlap, Target: &scenarios.Target{Zone: "edge-b"}}, setup: agentNode("b1"), reason: "cut off"},
		{name: "stress through an agent", f: scenarios.Fault{Kind: scenarios.Stress, Target: &scenarios.Target{Nodes: []string{"a1"}}, Stress: &scenarios.StressParams{}}, setup: agentNode("a1"), ok: true},
		{name: "stress on a node not opted in", f: scenarios.Fault{Kind: scenarios.Stress, Target: &scenarios.Target{Nodes: []string{"a1"}}, Stress: &scenarios.StressParams{}},
			setup: func(e *env) { e.fb.Node("a1").Refuse = "node a1 is not opted in" }, err: "node a1 is not opted in"},
		{name: "device-storm", f: scenarios.Fault{Kind: scenarios.DeviceStorm}, err: "device-storm is not a node fault: handled by the workload driver"},
		{name: "node not answering", f: nodeFault(scenarios.KubeletStop, "a1"), setup: func(e *env) {
			e.fb.Node("a1").ExecHook = func(args []string, _ []byte) ([]byte, error, bool) {
				return nil, errors.New("docker exec: connection refused"), true
			}
		}, err: "node a1 does not run commands"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.fb.NoNetem = c.noNetem
			if c.setup != nil {
				c.setup(e)
			}
			ok, reason, err := e.b.Preflight(ctx, c.f)
			if (err != nil) != (c.err != "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("Preflight error = %v, want one containing %q", err, c.err)
			}
			if ok != c.ok || (c.reason != "" && !strings.Contains(reason, c.reason)) || (ok && reason != "") {
				t.Fatalf("Preflight = %v, %q; want %v, %q", ok, reason, c.ok, c.reason)
			}
			for _, call := range e.fb.Calls() {
				for _, bad := range []string{" kill", " stop", " pause", "iptables-restore -w", "qdisc replace", "systemctl stop"} {
					if strings.HasSuffix(call, bad) || strings.Contains(call, bad+" ") {
						t.Fatalf("preflight changed the node: %s", call)
					}
				}
			}
		})
	}
}

func TestCheckNetem(t *testing.T) {
	e := newEnv(t)
	e.fb.NoNetem = true
	f := scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Nodes: []string{"b1"}}}
	if ok, reason, err := e.b.CheckNetem(context.Background(), f); ok || err != nil || !strings.Contains(reason, "absent on this host") {
		t.Fatalf("CheckNetem = %v, %q, %v", ok, reason, err)
	}
	// The answer is cached per node: one probe only.
	e.b.CheckNetem(context.Background(), f)
	n := 0
	for _, c := range e.fb.Calls() {
		if strings.Contains(c, "epnetem0") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d probes", n)
	}
}

// TestInstantFaultsWithoutEffectFail gives each instantaneous native fault
// a host on which its action does nothing, and expects the injection to
// fail as not in force instead of reporting success.
func TestInstantFaultsWithoutEffectFail(t *testing.T) {
	ctx := context.Background()
	notInForce := func(t *testing.T, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), chaos.NotInForce) || !errors.Is(err, chaos.ErrNotInForce) {
			t.Fatalf("err = %v, want one saying %q", err, chaos.NotInForce)
		}
	}
	t.Run("container-kill", func(t *testing.T) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "gw-1"},
			Spec: corev1.PodSpec{NodeName: "a1", Containers: []corev1.Container{{Name: "app"}}}}
		e := newEnv(t, p)
		n := e.fb.Node("a1")
		n.AddContainer(fakecluster.Container{ID: "c1", Name: "app", Pod: "gw-1", Namespace: "work"})
		n.ExecHook = func(args []string, _ []byte) ([]byte, error, bool) {
			return nil, nil, len(args) > 1 && args[0] == "crictl" && args[1] == "stop" // stop does nothing
		}
		target := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{
			Selector: v1alpha1.PodSelectorSpec{Pods: map[string][]string{"work": {"gw-1"}}}}}}
		_, err := e.b.Inject(ctx, scenarios.Fault{Name: "ck", Kind: scenarios.ContainerKill, Target: target})
		notInForce(t, err)
	})
	t.Run("pod-kill", func(t *testing.T) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "work", Name: "gw-1", UID: "u1"}, Spec: corev1.PodSpec{NodeName: "a1"}}
		e := newEnv(t, p)
		e.kube.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, nil // accepted, and nothing deleted
		})
		target := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{
			Selector: v1alpha1.PodSelectorSpec{Pods: map[string][]string{"work": {"gw-1"}}}}}}
		_, err := e.b.Inject(ctx, scenarios.Fault{Name: "kill", Kind: scenarios.PodKill, Target: target})
		notInForce(t, err)
	})
	t.Run("node-reboot", func(t *testing.T) {
		e := newEnv(t)
		e.fb.Node("a1").ExecHook = func(args []string, _ []byte) ([]byte, error, bool) {
			if len(args) == 3 && args[0] == "sh" && strings.Contains(args[2], "boot_id") {
				return []byte("same-boot\n42\n"), nil, true // the node never restarts
			}
			return nil, nil, false
		}
		_, err := e.b.Inject(ctx, nodeFault(scenarios.NodeReboot, "a1"))
		notInForce(t, err)
	})
}
