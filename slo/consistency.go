package slo

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/edgeproof/edgeproof/clusters"
)

// State is a snapshot of a workload namespace and the cluster's nodes, the
// input of the consistency checks run once a fault has healed.
type State struct {
	// Pods, ReplicaSets, Deployments, StatefulSets, DaemonSets and Slices
	// are the namespace's objects; Nodes are the cluster's.
	Pods         []corev1.Pod
	Nodes        []corev1.Node
	ReplicaSets  []appsv1.ReplicaSet
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	DaemonSets   []appsv1.DaemonSet
	Slices       []discoveryv1.EndpointSlice
}

// Consistency is what a snapshot says about pods and endpoints left over
// from a fault.
type Consistency struct {
	// DuplicatePods counts pods beyond what their controller wants: more
	// than one per node for a DaemonSet, more than spec.replicas for a
	// Deployment or StatefulSet. Pods that finished do not count; pods
	// being deleted do, since a pod stuck terminating on a node that came
	// back is exactly what this looks for.
	DuplicatePods int
	// StaleEndpoints counts Service endpoints that point at a pod that is
	// gone or was replaced (UID or IP differ), or that are marked ready
	// while their pod or its node is not.
	StaleEndpoints int
	// Findings names each counted pod and endpoint, for the verdict detail.
	Findings []string
}

// CheckConsistency counts duplicate pods and stale endpoints in s.
func CheckConsistency(s State) Consistency {
	var c Consistency
	c.duplicates(s)
	c.stale(s)
	sort.Strings(c.Findings)
	return c
}

func (c *Consistency) duplicates(s State) {
	rsOwner := map[types.UID]types.UID{} // ReplicaSet -> Deployment
	for _, rs := range s.ReplicaSets {
		if o := controllerOf(rs.OwnerReferences); o != nil {
			rsOwner[rs.UID] = o.UID
		}
	}
	owned := map[types.UID][]corev1.Pod{} // top-level controller -> live pods
	for _, p := range s.Pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		o := controllerOf(p.OwnerReferences)
		if o == nil {
			continue
		}
		uid := o.UID
		if d, ok := rsOwner[uid]; ok {
			uid = d
		}
		owned[uid] = append(owned[uid], p)
	}
	excess := func(kind, name string, pods []corev1.Pod, want int) {
		if n := len(pods) - want; n > 0 {
			c.DuplicatePods += n
			c.Findings = append(c.Findings, fmt.Sprintf("%s %s has %d pods, wants %d: %s", kind, name, len(pods), want, podNames(pods)))
		}
	}
	for _, d := range s.Deployments {
		excess("Deployment", d.Name, owned[d.UID], int(ptr.Deref(d.Spec.Replicas, 1)))
	}
	for _, st := range s.StatefulSets {
		excess("StatefulSet", st.Name, owned[st.UID], int(ptr.Deref(st.Spec.Replicas, 1)))
	}
	for _, ds := range s.DaemonSets {
		perNode := map[string][]corev1.Pod{}
		for _, p := range owned[ds.UID] {
			perNode[p.Spec.NodeName] = append(perNode[p.Spec.NodeName], p)
		}
		for node, pods := range perNode {
			if node == "" {
				continue // not scheduled yet: no node holds two
			}
			excess("DaemonSet", ds.Name+" on "+node, pods, 1)
		}
	}
}

func (c *Consistency) stale(s State) {
	pods := map[string]*corev1.Pod{}
	for i := range s.Pods {
		pods[s.Pods[i].Name] = &s.Pods[i]
	}
	nodeReady := map[string]bool{}
	for i := range s.Nodes {
		nodeReady[s.Nodes[i].Name] = clusters.NodeReady(&s.Nodes[i])
	}
	for _, sl := range s.Slices {
		for _, ep := range sl.Endpoints {
			ref := ep.TargetRef
			if ref == nil || ref.Kind != "Pod" {
				continue
			}
			what := fmt.Sprintf("endpoint %s of %s (pod %s)", strings.Join(ep.Addresses, ","), sl.Name, ref.Name)
			p, ok := pods[ref.Name]
			var why string
			switch {
			case !ok:
				why = "pod is gone"
			case ref.UID != "" && ref.UID != p.UID:
				why = "pod was replaced"
			case !slices.ContainsFunc(p.Status.PodIPs, func(ip corev1.PodIP) bool { return slices.Contains(ep.Addresses, ip.IP) }):
				why = "pod IP is " + p.Status.PodIP
			case ptr.Deref(ep.Conditions.Ready, false) && !clusters.PodReady(p):
				why = "ready but the pod is not"
			case ptr.Deref(ep.Conditions.Ready, false) && !nodeReady[p.Spec.NodeName]:
				why = "ready but node " + p.Spec.NodeName + " is not"
			default:
				continue
			}
			c.StaleEndpoints++
			c.Findings = append(c.Findings, what+": "+why)
		}
	}
}

func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if ptr.Deref(refs[i].Controller, false) {
			return &refs[i]
		}
	}
	return nil
}

func podNames(pods []corev1.Pod) string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
		if p.DeletionTimestamp != nil {
			names[i] += " (terminating)"
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
