//go:build e2e

package native_test

// Real-cluster test of the native backend: for each node fault, inject it
// into an edge worker of the kind cluster named by $EDGEPROOF_CLUSTER,
// check the effect from outside, heal it, check it is gone, and finally
// check that nothing was left behind.
//
//	EDGEPROOF_CLUSTER=edgeproof-e2e go test -tags e2e -run TestNativeFaults -v -timeout 30m ./chaos/native/
//
// $EDGEPROOF_NODE picks the worker (default: the first edge-tier node); an
// arm64 QEMU VM of the cluster works too (make e2e-qemu-chaos), and then
// every fault is checked on the VM, done the VM way where it has one.
// Faults run one after another; the test waits for the node to be Ready
// again between them.

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/iptables"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/chaos/tc"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/clustertest"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Timeouts generous enough for the default profile (node Unknown after
// ~50 s) on a busy 2-core host.
const (
	notReadyTimeout = 90 * time.Second
	readyTimeout    = 3 * time.Minute
)

type harness struct {
	t    *testing.T
	c    *clusters.Cluster
	cs   kubernetes.Interface
	j    *journal.Journal
	b    *native.Backend
	node *clusters.Node
	zone string
}

func setup(t *testing.T) *harness {
	ctx := context.Background()
	c := clustertest.Get(ctx, t)
	name := c.Name
	cs, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := j.Pending(); len(p) > 0 {
		t.Fatalf("journal of %s has %d pending entries: run edgeproof recover first", name, len(p))
	}
	target := os.Getenv("EDGEPROOF_NODE")
	zone := ""
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: clusters.LabelTier + "=" + clusters.TierEdge})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if target == "" || n.Name == target {
			target, zone = n.Name, n.Labels[clusters.LabelZone]
			break
		}
	}
	if target == "" {
		t.Fatal("no edge-tier node")
	}
	node, err := c.Node(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, c: c, cs: cs, j: j, b: native.New(c, cs, j, &chaos.Resolver{Kube: cs}), node: node, zone: zone}
	t.Cleanup(func() {
		// Whatever a failed step left, heal it before the next user.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if res, err := recovery.RecoverAll(ctx, c, j); err != nil || len(res) > 0 {
			t.Logf("cleanup recovery: %v %v", res, err)
		}
		j.Close()
	})
	t.Logf("cluster %s, target node %s (zone %s)", name, target, zone)
	return h
}

func (h *harness) ready(ctx context.Context) (bool, error) {
	n, err := h.cs.CoreV1().Nodes().Get(ctx, h.node.Name(), metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	return clusters.NodeReady(n), nil
}

// waitReady waits until the node's Ready condition is want.
func (h *harness) waitReady(want bool, timeout time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	for {
		got, err := h.ready(ctx)
		if err == nil && got == want {
			h.t.Logf("node %s Ready=%v after %s", h.node.Name(), want, time.Since(start).Round(100*time.Millisecond))
			return
		}
		select {
		case <-ctx.Done():
			h.t.Fatalf("node %s not Ready=%v within %s (last error %v)", h.node.Name(), want, timeout, err)
		case <-time.After(time.Second):
		}
	}
}

func (h *harness) inject(f scenarios.Fault) chaos.Recover {
	h.t.Helper()
	if ok, reason, err := h.b.Preflight(context.Background(), f); !ok || err != nil {
		h.t.Fatalf("preflight of %s: %s %v", f.Kind, reason, err)
	}
	rec, err := h.b.Inject(context.Background(), f)
	if err != nil {
		h.t.Fatalf("inject %s: %v", f.Kind, err)
	}
	return rec
}

func (h *harness) heal(rec chaos.Recover) {
	h.t.Helper()
	// A VM's recovery boots it and waits for its agent: minutes under TCG.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	if err := rec(ctx); err != nil {
		h.t.Fatalf("recover: %v", err)
	}
	if p, _ := h.j.Pending(); len(p) > 0 {
		h.t.Fatalf("pending after recovery: %v", p)
	}
}

func (h *harness) state() string {
	h.t.Helper()
	s, err := h.node.State(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) bootID() string {
	h.t.Helper()
	out, err := h.node.Exec(context.Background(), "cat", "/proc/sys/kernel/random/boot_id")
	if err != nil {
		h.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// carrier is eth0's carrier as the node sees it: 1 with a link, 0 without.
func (h *harness) carrier() string {
	h.t.Helper()
	out, err := h.node.Exec(context.Background(), "cat", "/sys/class/net/"+native.DefaultDev+"/carrier")
	if err != nil && len(out) == 0 {
		h.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func (h *harness) unit(u string) string {
	out, _ := h.node.Exec(context.Background(), "systemctl", "is-active", u)
	return strings.TrimSpace(string(out))
}

func (h *harness) taggedRules() []iptables.Rule {
	h.t.Helper()
	rules, err := iptables.List(context.Background(), h.node)
	if err != nil {
		h.t.Fatal(err)
	}
	return iptables.Leftovers(rules)
}

func (h *harness) rootQdisc() string {
	h.t.Helper()
	q, _, err := tc.Root(context.Background(), h.node, native.DefaultDev)
	if err != nil {
		h.t.Fatal(err)
	}
	return q.Kind
}

func (h *harness) fault(kind scenarios.FaultKind) scenarios.Fault {
	return scenarios.Fault{Name: "e2e-" + string(kind), Kind: kind, Target: &scenarios.Target{Nodes: []string{h.node.Name()}}}
}

func TestNativeFaults(t *testing.T) {
	h := setup(t)
	h.waitReady(true, readyTimeout)

	lifecycle := []struct {
		kind  scenarios.FaultKind
		state string
	}{
		{scenarios.NodePowerLoss, "exited"},
		{scenarios.NodeStop, "exited"},
		{scenarios.NodePause, "paused"},
	}
	for _, c := range lifecycle {
		t.Run(string(c.kind), func(t *testing.T) {
			h.t = t
			rec := h.inject(h.fault(c.kind))
			if s := h.state(); s != c.state {
				t.Errorf("node is %s, want %s", s, c.state)
			}
			h.waitReady(false, notReadyTimeout)
			h.heal(rec)
			if s := h.state(); s != "running" {
				t.Errorf("node is %s after recovery", s)
			}
			h.waitReady(true, readyTimeout)
		})
	}

	// Before the reboot: a kind node's reboot is so quick that its own
	// NotReady can show up after waitReady(true) has already returned.
	t.Run("node-link-down", func(t *testing.T) {
		h.t = t
		rec := h.inject(h.fault(scenarios.NodeLinkDown))
		if c := h.carrier(); c != "0" {
			t.Errorf("eth0 carrier %q with the cable pulled, want 0", c)
		}
		if s := h.state(); s != "running" {
			t.Errorf("node is %s with its link down, want running", s)
		}
		h.waitReady(false, notReadyTimeout)
		h.heal(rec)
		if c := h.carrier(); c != "1" {
			t.Errorf("eth0 carrier %q after recovery, want 1", c)
		}
		h.waitReady(true, readyTimeout)
	})

	t.Run("node-reboot", func(t *testing.T) {
		h.t = t
		boot := h.bootID()
		rec := h.inject(h.fault(scenarios.NodeReboot))
		if s := h.state(); s != "running" {
			t.Errorf("node is %s after reboot", s)
		}
		// A kind node shares the host's kernel; a VM's reset boots its own.
		if after := h.bootID(); h.node.Resets() && after == boot {
			t.Errorf("boot id %s unchanged by the reset", boot)
		}
		h.heal(rec)
		h.waitReady(true, readyTimeout)
	})

	for _, c := range []struct {
		kind scenarios.FaultKind
		sig  scenarios.Signal
		unit string
	}{
		{scenarios.KubeletStop, scenarios.SignalTerm, native.KubeletUnit},
		{scenarios.KubeletStop, scenarios.SignalKill, native.KubeletUnit},
		{scenarios.RuntimeStop, scenarios.SignalTerm, native.RuntimeUnit},
	} {
		t.Run(string(c.kind)+"-"+string(c.sig), func(t *testing.T) {
			h.t = t
			f := h.fault(c.kind)
			f.Process = &scenarios.ProcessParams{Signal: c.sig}
			rec := h.inject(f)
			time.Sleep(3 * time.Second) // longer than Restart= delays: it must stay down
			if s := h.unit(c.unit); s == "active" {
				t.Errorf("%s is %s", c.unit, s)
			}
			h.waitReady(false, notReadyTimeout)
			h.heal(rec)
			if s := h.unit(c.unit); s != "active" {
				t.Errorf("%s is %s after recovery", c.unit, s)
			}
			h.waitReady(true, readyTimeout)
		})
	}

	network := []scenarios.Fault{h.fault(scenarios.NodeIsolate), h.fault(scenarios.UplinkFlap)}
	if h.zone != "" {
		network = append(network, scenarios.Fault{Name: "e2e-zone-partition", Kind: scenarios.ZonePartition, Target: &scenarios.Target{Zone: h.zone}})
	}
	for _, f := range network {
		t.Run(string(f.Kind), func(t *testing.T) {
			h.t = t
			rec := h.inject(f)
			if n := len(h.taggedRules()); n == 0 {
				t.Error("no edgeproof iptables rule on the node")
			}
			// Each cuts the node from the control plane (the flap cuts it
			// from the cloud tier, where the control plane runs).
			h.waitReady(false, notReadyTimeout)
			h.heal(rec)
			if rules := h.taggedRules(); len(rules) != 0 {
				t.Errorf("rules left: %v", rules)
			}
			h.waitReady(true, readyTimeout)
		})
	}

	// A reboot gives a kind node a fresh network namespace; the isolation
	// must be applied again there and still end with its own recovery.
	t.Run("node-isolate-across-reboot", func(t *testing.T) {
		h.t = t
		rec := h.inject(h.fault(scenarios.NodeIsolate))
		before := len(h.taggedRules())
		h.inject(h.fault(scenarios.NodeReboot)) // instantaneous: healed on return
		if after := len(h.taggedRules()); after == 0 || after != before {
			t.Errorf("%d isolation rules after the reboot, want the %d from before it", after, before)
		}
		h.waitReady(false, notReadyTimeout)
		time.Sleep(10 * time.Second) // the rebooted kubelet must stay cut off
		if ok, err := h.ready(context.Background()); err != nil || ok {
			t.Errorf("node Ready (%v, %v) while still isolated after its reboot", ok, err)
		}
		h.heal(rec)
		if rules := h.taggedRules(); len(rules) != 0 {
			t.Errorf("rules left: %v", rules)
		}
		h.waitReady(true, readyTimeout)
	})

	t.Run("uplink-shape", func(t *testing.T) {
		h.t = t
		f := h.fault(scenarios.UplinkShape)
		f.Uplink = &scenarios.UplinkParams{
			Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit"},
			Loss:      &scenarios.LossSpec{Loss: 5},
		}
		rec := h.inject(f)
		if q := h.rootQdisc(); q != "tbf" {
			t.Errorf("root qdisc %q, want tbf", q)
		}
		if n := len(h.taggedRules()); n == 0 {
			t.Error("no loss rule")
		}
		h.heal(rec)
		if q := h.rootQdisc(); q == "tbf" || q == "netem" {
			t.Errorf("root qdisc %q left", q)
		}
		if rules := h.taggedRules(); len(rules) != 0 {
			t.Errorf("rules left: %v", rules)
		}

		// Latency: netem or an honest refusal, never a silent pass.
		f.Uplink = &scenarios.UplinkParams{Delay: &scenarios.DelaySpec{Latency: scenarios.Duration(50 * time.Millisecond)}}
		ok, reason, err := h.b.Preflight(context.Background(), f)
		if err != nil {
			t.Fatalf("latency preflight: %v", err)
		}
		if !ok {
			if !strings.Contains(reason, "sch_netem") {
				t.Errorf("latency refused for another reason: %s", reason)
			}
			t.Logf("latency unsupported here: %s", reason)
			if _, err := h.b.Inject(context.Background(), f); err == nil {
				t.Error("latency injected although preflight refused it")
			}
			return
		}
		rec = h.inject(f)
		if q := h.rootQdisc(); q != "netem" {
			t.Errorf("root qdisc %q, want netem", q)
		}
		h.heal(rec)
	})

	t.Run("stress", func(t *testing.T) {
		h.t = t
		load := int32(20)
		f := h.fault(scenarios.Stress)
		f.Stress = &scenarios.StressParams{
			CPU:    &scenarios.CPUStressor{Workers: 1, Load: &load},
			Memory: &scenarios.MemoryStressor{Workers: 1, Size: "32MB"},
		}
		rec := h.inject(f)
		p, _ := h.j.Pending()
		if len(p) != 1 {
			t.Fatalf("pending %v", p)
		}
		unit := native.StressUnitPrefix + p[0].ID
		if s := h.unit(unit); s != "active" {
			t.Errorf("%s is %q", unit, s)
		}
		h.heal(rec)
		if s := h.unit(unit); s == "active" {
			t.Errorf("%s still active", unit)
		}
	})

	t.Run("pods", func(t *testing.T) { h.t = t; testPodFaults(h) })

	t.Run("leak-check", func(t *testing.T) {
		h.t = t
		found, err := leak.Check(context.Background(), h.c)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			t.Fatalf("left behind:\n%s", strings.Join(found, "\n"))
		}
	})
}

// testPodFaults kills a pause pod's container (crictl) and then the pod
// (API). The pause image is preloaded on every node, so no registry is
// needed.
func testPodFaults(h *harness) {
	t := h.t
	ctx := context.Background()
	// A fresh namespace per run: the previous run's may still be terminating.
	nsObj, err := h.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "edgeproof-chaos-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := nsObj.Name
	t.Cleanup(func() { _ = h.cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "victim", Namespace: ns, Labels: map[string]string{"app": "victim"}},
		Spec: corev1.PodSpec{
			NodeName:   h.node.Name(),
			Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10.1", ImagePullPolicy: corev1.PullNever}},
		},
	}
	if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	running := func() (*corev1.Pod, bool) {
		p, err := h.cs.CoreV1().Pods(ns).Get(ctx, "victim", metav1.GetOptions{})
		return p, err == nil && p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready
	}
	// 3 min: an emulated arm64 VM took over a minute right after the
	// stress step.
	deadline := time.Now().Add(3 * time.Minute)
	for _, ok := running(); !ok; _, ok = running() {
		if time.Now().After(deadline) {
			// The pause image is part of every node image: a victim that
			// never runs is a broken node, not a missing capability.
			if p, _ := running(); p != nil {
				t.Fatalf("victim pod not running within 3 min: %+v", p.Status)
			}
			t.Fatal("victim pod not running within 3 min")
		}
		time.Sleep(time.Second)
	}
	sel := &scenarios.Target{Pods: chaos.PodTarget([]corev1.Pod{*pod}, nil)}
	rec := h.inject(scenarios.Fault{Name: "e2e-container-kill", Kind: scenarios.ContainerKill, Target: sel})
	h.heal(rec)
	deadline = time.Now().Add(time.Minute)
	for {
		p, ok := running()
		if ok && p.Status.ContainerStatuses[0].RestartCount > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container not restarted after container-kill: %+v", p.Status.ContainerStatuses)
		}
		time.Sleep(time.Second)
	}
	rec = h.inject(scenarios.Fault{Name: "e2e-pod-kill", Kind: scenarios.PodKill, Target: sel})
	h.heal(rec)
	deadline = time.Now().Add(30 * time.Second)
	for {
		_, err := h.cs.CoreV1().Pods(ns).Get(ctx, "victim", metav1.GetOptions{})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pod still there after pod-kill")
		}
		time.Sleep(time.Second)
	}
}
