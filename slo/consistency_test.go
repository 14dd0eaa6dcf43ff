package slo

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func cowner(kind, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}}
}

func cpod(name, node, ip string, ready bool, owners []metav1.OwnerReference) corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), OwnerReferences: owners},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func cnode(name string, ready bool) corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
}

func endpoint(p corev1.Pod, ip string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: p.Name, UID: p.UID}}
}

// healthy is a namespace after a clean recovery: one gateway per node, a
// two-replica sink, a one-replica Deployment, endpoints matching pods.
func healthy() State {
	gw := cowner("DaemonSet", "gateway", "ds")
	sink := cowner("StatefulSet", "sink", "sts")
	rs := cowner("ReplicaSet", "broker-abc", "rs")
	pods := []corev1.Pod{
		cpod("gateway-1", "edge-1", "10.0.1.5", true, gw),
		cpod("gateway-2", "edge-2", "10.0.2.5", true, gw),
		cpod("sink-0", "cloud", "10.0.0.7", true, sink),
		cpod("sink-1", "cloud", "10.0.0.8", true, sink),
		cpod("broker-abc-x", "cloud", "10.0.0.9", true, rs),
	}
	return State{
		Pods:         pods,
		Nodes:        []corev1.Node{cnode("edge-1", true), cnode("edge-2", true), cnode("cloud", true)},
		ReplicaSets:  []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "broker-abc", UID: "rs", OwnerReferences: cowner("Deployment", "broker", "dep")}}},
		Deployments:  []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "broker", UID: "dep"}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}}},
		StatefulSets: []appsv1.StatefulSet{{ObjectMeta: metav1.ObjectMeta{Name: "sink", UID: "sts"}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2)}}},
		DaemonSets:   []appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Name: "gateway", UID: "ds"}}},
		Slices: []discoveryv1.EndpointSlice{{ObjectMeta: metav1.ObjectMeta{Name: "gateway-xyz"},
			Endpoints: []discoveryv1.Endpoint{endpoint(pods[0], "10.0.1.5", true), endpoint(pods[1], "10.0.2.5", true)}}},
	}
}

func TestCheckConsistency(t *testing.T) {
	cases := map[string]struct {
		change        func(*State)
		dup, stale    int
		findingSubstr string
	}{
		"healthy": {change: func(*State) {}},
		"old gateway stuck terminating beside its replacement": {change: func(s *State) {
			p := cpod("gateway-old", "edge-1", "10.0.1.4", false, s.Pods[0].OwnerReferences)
			p.DeletionTimestamp = &metav1.Time{}
			s.Pods = append(s.Pods, p)
		}, dup: 1, findingSubstr: "gateway-old (terminating)"},
		"deployment pod left over after reschedule": {change: func(s *State) {
			s.Pods = append(s.Pods, cpod("broker-abc-y", "edge-2", "10.0.2.9", true, s.Pods[4].OwnerReferences))
		}, dup: 1, findingSubstr: "Deployment broker has 2 pods"},
		"finished pods do not count": {change: func(s *State) {
			p := cpod("broker-abc-old", "edge-2", "10.0.2.9", false, s.Pods[4].OwnerReferences)
			p.Status.Phase = corev1.PodFailed
			s.Pods = append(s.Pods, p)
		}},
		"statefulset over its replicas": {change: func(s *State) { s.StatefulSets[0].Spec.Replicas = ptr.To[int32](1) }, dup: 1},
		"endpoint of a deleted pod":     {change: func(s *State) { s.Pods = s.Pods[1:] }, stale: 1, findingSubstr: "pod is gone"},
		"endpoint of a replaced pod":    {change: func(s *State) { s.Pods[0].UID = "new" }, stale: 1, findingSubstr: "replaced"},
		"endpoint with an old IP": {change: func(s *State) {
			s.Pods[1].Status.PodIP, s.Pods[1].Status.PodIPs = "10.0.2.6", []corev1.PodIP{{IP: "10.0.2.6"}}
		}, stale: 1, findingSubstr: "pod IP is 10.0.2.6"},
		"ready endpoint on a NotReady node": {change: func(s *State) { s.Nodes[0] = cnode("edge-1", false) }, stale: 1, findingSubstr: "node edge-1"},
		"ready endpoint of an unready pod": {change: func(s *State) {
			s.Pods[1].Status.Conditions[0].Status = corev1.ConditionFalse
		}, stale: 1, findingSubstr: "ready but the pod is not"},
		"unready endpoint of an unready pod is fine": {change: func(s *State) {
			s.Pods[1].Status.Conditions[0].Status = corev1.ConditionFalse
			s.Slices[0].Endpoints[1].Conditions.Ready = ptr.To(false)
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := healthy()
			tc.change(&s)
			c := CheckConsistency(s)
			if c.DuplicatePods != tc.dup || c.StaleEndpoints != tc.stale {
				t.Fatalf("got %d duplicate pods, %d stale endpoints (%v); want %d, %d", c.DuplicatePods, c.StaleEndpoints, c.Findings, tc.dup, tc.stale)
			}
			if tc.findingSubstr != "" && !strings.Contains(strings.Join(c.Findings, "\n"), tc.findingSubstr) {
				t.Errorf("findings %q do not mention %q", c.Findings, tc.findingSubstr)
			}
		})
	}
}
