package proof

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/edgeproof/edgeproof/chaos/journal"
)

func cutNode(name string, ready corev1.ConditionStatus, since time.Time) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: ready, LastTransitionTime: metav1.NewTime(since), Reason: "KubeletNotReady", Message: "container runtime is down",
	}}}}
}

func nodeLease(name string, renew time.Time) *coordv1.Lease {
	d := int32(1) // renewed every 250 ms
	return &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: leaseNamespace},
		Spec: coordv1.LeaseSpec{LeaseDurationSeconds: &d, RenewTime: &metav1.MicroTime{Time: renew}}}
}

// renewing makes every read of a lease see a renewal, as from a kubelet
// that still reaches the API server.
func renewing(cs *fake.Clientset) {
	var n atomic.Int64
	cs.PrependReactor("get", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		name := a.(k8stesting.GetAction).GetName()
		return true, nodeLease(name, time.Unix(0, n.Add(1))), nil
	})
}

// quick shortens the check's waits for a test.
func quick(t *testing.T) {
	s, p, to := leaseSlack, cutOffPoll, CutOffTimeout
	t.Cleanup(func() { leaseSlack, cutOffPoll, CutOffTimeout = s, p, to })
	leaseSlack, cutOffPoll, CutOffTimeout = 100*time.Millisecond, 50*time.Millisecond, time.Second
}

func cutEntry(nodes ...string) journal.Entry {
	now := time.Now()
	return journal.Entry{ID: "x1", Fault: "f", Kind: "kubelet-stop", Targets: nodes,
		CutOff: &journal.CutOff{Applies: now, Heals: now.Add(time.Minute)}}
}

func TestCutOffShownByALeaseNoLongerRenewed(t *testing.T) {
	quick(t)
	cs := fake.NewClientset(cutNode("a1", corev1.ConditionTrue, time.Now().Add(-time.Hour)), nodeLease("a1", time.Now().Add(-time.Second)))
	lines, err := Unreachable(context.Background(), cs, cutEntry("a1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "node a1: lease not renewed for") {
		t.Errorf("evidence %q", lines)
	}
}

func TestCutOffShownByANodeTurnedNotReady(t *testing.T) {
	quick(t)
	cs := fake.NewClientset(cutNode("a1", corev1.ConditionFalse, time.Now()))
	renewing(cs) // a stopped runtime leaves the kubelet renewing
	lines, err := Unreachable(context.Background(), cs, cutEntry("a1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "node a1: Ready False since") || !strings.Contains(lines[0], "container runtime is down") {
		t.Errorf("evidence %q", lines)
	}
}

// A node that keeps renewing and stays Ready (or turned NotReady before
// the fault) was not cut off by it: the fault is not in force.
func TestCutOffNotInForceWhileTheNodeStillReports(t *testing.T) {
	quick(t)
	cs := fake.NewClientset(cutNode("a1", corev1.ConditionTrue, time.Now().Add(-time.Hour)), cutNode("a2", corev1.ConditionFalse, time.Now().Add(-time.Hour)))
	renewing(cs)
	for _, n := range []string{"a1", "a2"} {
		_, err := Unreachable(context.Background(), cs, cutEntry(n))
		if !errors.Is(err, ErrNotInForce) || !strings.Contains(err.Error(), "node "+n+" still renewed its lease") {
			t.Errorf("%s: got %v", n, err)
		}
	}
}

// The check never outlasts the fault: a cut-off fault that ends before
// its effect shows cannot be shown in force.
func TestCutOffCheckEndsWithTheFault(t *testing.T) {
	quick(t)
	CutOffTimeout = time.Hour
	cs := fake.NewClientset(cutNode("a1", corev1.ConditionTrue, time.Now().Add(-time.Hour)))
	renewing(cs)
	e := cutEntry("a1")
	e.CutOff.Heals = e.CutOff.Applies.Add(300 * time.Millisecond)
	start := time.Now()
	if _, err := Unreachable(context.Background(), cs, e); !errors.Is(err, ErrNotInForce) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("checked for %s after the fault's end", d)
	}
}

// A power loss through a switch outside the node is shown in force the
// same way, from when its entry began; one whose node still renews its
// lease (a hook that switched the wrong outlet) is not in force.
func TestSwitchedPowerLossShownFromTheAPI(t *testing.T) {
	quick(t)
	e := journal.Entry{ID: "p1", Fault: "f", Kind: "node-power-loss", Targets: []string{"a1"}, Started: time.Now(),
		Recovery: []journal.Action{{Op: journal.OpPowerOn, Node: "a1"}}}
	if !FromAPI(e) || FromAPI(journal.Entry{Recovery: []journal.Action{{Op: journal.OpStartNode, Node: "a1"}}}) {
		t.Fatal("FromAPI must hold for switched power losses only")
	}
	cs := fake.NewClientset(cutNode("a1", corev1.ConditionTrue, time.Now().Add(-time.Hour)), nodeLease("a1", time.Now().Add(-time.Second)))
	if lines, err := Unreachable(context.Background(), cs, e); err != nil || len(lines) != 1 {
		t.Fatalf("lines %q, err %v", lines, err)
	}
	cs = fake.NewClientset(cutNode("a1", corev1.ConditionTrue, time.Now().Add(-time.Hour)))
	renewing(cs)
	e.Started = time.Now()
	if _, err := Unreachable(context.Background(), cs, e); !errors.Is(err, ErrNotInForce) {
		t.Fatalf("a node that still renews was taken as without power: %v", err)
	}
}
