package slo

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/edgeproof/edgeproof/scenarios"
)

const ns = "edgeproof"

func node(name string, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}},
	}
}

func pod(name, app, nodeName string, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{NodeName: nodeName},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

// harness runs a probe against a fake clientset with a clock the test moves.
type harness struct {
	t     *testing.T
	cs    *fake.Clientset
	probe *RescheduleProbe
	mu    sync.Mutex
	clock time.Time
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, cs: fake.NewClientset(objs...), clock: t0}
	// Updates made before an informer's watch is registered would be lost;
	// count registered watches so the test can wait for both.
	watches := make(chan struct{}, 2)
	h.cs.PrependWatchReactor("*", func(a clienttesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(clienttesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := h.cs.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err != nil {
			return false, nil, err
		}
		watches <- struct{}{}
		return true, w, nil
	})
	h.probe = NewRescheduleProbe(h.cs, ns, labels.SelectorFromSet(labels.Set{"app": "gateway"}))
	h.probe.now = func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.clock }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := h.probe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-watches:
		case <-time.After(10 * time.Second):
			t.Fatal("informers never watched")
		}
	}
	return h
}

func (h *harness) at(s float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = sec(s)
}

// until waits for cond on the fault's first occurrence, as the probe sees
// events asynchronously.
func (h *harness) until(fault, what string, cond func(Reschedule) bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := h.probe.Results(fault); len(r) > 0 && cond(r[0]) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("%s: never happened; results %+v", what, h.probe.Results(fault))
}

func (h *harness) updateNode(n *corev1.Node) {
	h.t.Helper()
	if _, err := h.cs.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) updatePod(p *corev1.Pod) {
	h.t.Helper()
	if _, err := h.cs.CoreV1().Pods(ns).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func TestRescheduleProbePhases(t *testing.T) {
	h := newHarness(t,
		node("edge-a", corev1.ConditionTrue), node("edge-b", corev1.ConditionTrue), node("edge-c", corev1.ConditionTrue),
		pod("gw-a", "gateway", "edge-a", true), pod("gw-b", "gateway", "edge-b", true),
		pod("other-a", "sink", "edge-a", true), // not selected: never needs to move
	)
	if err := h.probe.FaultStarted("power-cut", sec(0), []string{"edge-a"}); err != nil {
		t.Fatal(err)
	}

	h.at(7.5)
	h.updateNode(node("edge-a", corev1.ConditionUnknown))
	h.until("power-cut", "node Unknown", func(r Reschedule) bool { return r.NodeNotReady.Known })

	h.at(8)
	tainted := node("edge-a", corev1.ConditionUnknown)
	tainted.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}
	h.updateNode(tainted)
	h.until("power-cut", "taint", func(r Reschedule) bool { return r.TaintsApplied.Known })

	h.at(9)
	evicted := pod("gw-a", "gateway", "edge-a", true)
	evicted.DeletionTimestamp = &metav1.Time{Time: sec(9)}
	h.updatePod(evicted)
	h.until("power-cut", "eviction", func(r Reschedule) bool { return r.PodsEvicted.Known })

	h.at(9.5) // the replacement exists but is not bound yet: nothing ends
	if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), pod("gw-new", "gateway", "", false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.at(10)
	h.updatePod(pod("gw-new", "gateway", "edge-c", false))
	h.until("power-cut", "scheduled", func(r Reschedule) bool { return r.PodsScheduled.Known })

	h.at(10.4)
	h.updatePod(pod("gw-new", "gateway", "edge-c", true))
	h.until("power-cut", "ready", func(r Reschedule) bool { return r.Total.Known })

	r := h.probe.Results("power-cut")[0]
	wantSeconds(t, "nodeNotReady", r.NodeNotReady, 7.5)
	wantSeconds(t, "taintsApplied", r.TaintsApplied, 8)
	wantSeconds(t, "podsEvicted", r.PodsEvicted, 9)
	wantSeconds(t, "podsScheduled", r.PodsScheduled, 10)
	wantSeconds(t, "total", r.Total, 10.4)

	// The ready-pods series saw 2 Ready, then 1 (evicted), then 2 again.
	var vs []float64
	for _, p := range h.probe.Series().Points {
		vs = append(vs, p.V)
	}
	if len(vs) < 3 || vs[0] != 2 || vs[len(vs)-1] != 2 || !containsValue(vs, 1) {
		t.Errorf("ready series %v", vs)
	}
}

// A fault a node applied by itself 1.5 s after it was asked for is timed
// from then: phases already reached shrink by the shift, later ones are
// measured from the new start.
func TestRescheduleProbeTimesFromWhenTheFaultApplied(t *testing.T) {
	h := newHarness(t, node("edge-a", corev1.ConditionTrue), node("edge-c", corev1.ConditionTrue), pod("gw-a", "gateway", "edge-a", true))
	if err := h.probe.FaultStarted("cut", sec(0), []string{"edge-a"}); err != nil {
		t.Fatal(err)
	}
	h.at(7.5)
	h.updateNode(node("edge-a", corev1.ConditionUnknown))
	h.until("cut", "node Unknown", func(r Reschedule) bool { return r.NodeNotReady.Known })
	h.probe.FaultApplied("cut", sec(1.5))
	h.probe.FaultApplied("never-started", sec(1.5)) // ignored
	h.at(9)
	evicted := pod("gw-a", "gateway", "edge-a", true)
	evicted.DeletionTimestamp = &metav1.Time{Time: sec(9)}
	h.updatePod(evicted)
	h.until("cut", "eviction", func(r Reschedule) bool { return r.PodsEvicted.Known })
	r := h.probe.Results("cut")[0]
	wantSeconds(t, "nodeNotReady", r.NodeNotReady, 6)
	wantSeconds(t, "podsEvicted", r.PodsEvicted, 7.5)
}

func containsValue(vs []float64, v float64) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func TestRescheduleProbeDeletedPodsAndRepeats(t *testing.T) {
	h := newHarness(t,
		node("edge-a", corev1.ConditionTrue), node("edge-b", corev1.ConditionTrue),
		pod("gw-a", "gateway", "edge-a", true), pod("gw-b", "gateway", "edge-b", true),
	)
	if err := h.probe.FaultStarted("flap", sec(0), []string{"edge-a"}); err != nil {
		t.Fatal(err)
	}
	h.at(3)
	h.updateNode(node("edge-a", corev1.ConditionFalse))
	h.until("flap", "not ready", func(r Reschedule) bool { return r.NodeNotReady.Known })
	h.at(4)
	if err := h.cs.CoreV1().Pods(ns).Delete(context.Background(), "gw-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.until("flap", "gone", func(r Reschedule) bool { return r.PodsEvicted.Known })
	wantSeconds(t, "podsEvicted", h.probe.Results("flap")[0].PodsEvicted, 4)

	// A second occurrence starts with one selected pod, on edge-b.
	h.at(60)
	if err := h.probe.FaultStarted("flap", sec(60), []string{"edge-b"}); err != nil {
		t.Fatal(err)
	}
	h.at(70)
	rs := h.probe.Results("flap")
	if len(rs) != 2 {
		t.Fatalf("%d occurrences", len(rs))
	}
	wantSeconds(t, "first occurrence still", rs[0].NodeNotReady, 3)
	wantUnknown(t, "second nodeNotReady", rs[1].NodeNotReady, "not reached 10s after the fault's start: still Ready: edge-b")
	wantUnknown(t, "second taint", rs[1].TaintsApplied, "no unreachable or not-ready NoExecute taint on edge-b")
	wantUnknown(t, "second eviction", rs[1].PodsEvicted, "1 of the 1 pods on edge-b not marked for deletion")
	wantUnknown(t, "first total", rs[0].Total, "1 of 2 pods Ready outside edge-a")
	wantUnknown(t, "first scheduled", rs[0].PodsScheduled, "1 of 2 pods bound outside edge-a")
}

func TestRescheduleProbeNothingToMove(t *testing.T) {
	h := newHarness(t, node("edge-a", corev1.ConditionTrue), pod("gw-b", "gateway", "edge-b", true))
	if err := h.probe.FaultStarted("cut", sec(0), []string{"edge-a"}); err != nil {
		t.Fatal(err)
	}
	r := h.probe.Results("cut")[0]
	for name, v := range map[string]Value{"evicted": r.PodsEvicted, "scheduled": r.PodsScheduled, "total": r.Total} {
		wantUnknown(t, name, v, `no pods matching "app=gateway" in edgeproof ran on edge-a`)
	}
	if h.probe.Results("other") != nil {
		t.Error("results for a fault never started")
	}
	if err := h.probe.FaultStarted("cut", sec(0), nil); err == nil {
		t.Error("a fault without targets was accepted")
	}
}

func TestRescheduleProbeNotStarted(t *testing.T) {
	p := NewRescheduleProbe(fake.NewClientset(), ns, labels.Everything())
	if err := p.FaultStarted("f", t0, []string{"n"}); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("err = %v", err)
	}
}

func TestJudgeReschedulesOfSelectedPods(t *testing.T) {
	obj := scenarios.Objective{Name: "web-moved", Kind: scenarios.ObjectiveReschedule, Metric: scenarios.MetricTotal,
		Fault: "power", Selector: map[string]string{"app": "web"}, Budget: "30s"}
	devices := Reschedule{Total: Seconds(5 * time.Second)}
	m := Measurements{Faults: map[string][]Result{"power": {{Reschedule: &devices,
		PodReschedule: map[string]Reschedule{"app=web": {Total: Seconds(42 * time.Second)}}}}}}
	if v := Judge([]scenarios.Objective{obj}, m)[0]; v.Pass || v.Value != 42 {
		t.Errorf("verdict %+v: want the selected pods' 42 s, failing", v)
	}
	// The device simulators' timing never stands in for the selected pods.
	m.Faults["power"][0].PodReschedule = nil
	if v := Judge([]scenarios.Objective{obj}, m)[0]; v.Pass || !strings.Contains(v.Detail, "app=web were not timed") {
		t.Errorf("verdict %+v: want Unknown for pods that were not timed", v)
	}
}
