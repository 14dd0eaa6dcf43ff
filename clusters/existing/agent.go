package existing

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/clusters"
)

// Namespace holds the node agent's DaemonSet; it is created for a run and
// deleted after it.
const Namespace = "edgeproof-agent"

// agentName names the DaemonSet, its container and its pods' label value.
const agentName = "edgeproof-agent"

// LabelManagedBy marks what edgeproof created, so that a namespace of the
// same name that edgeproof did not create is never adopted or deleted.
const LabelManagedBy = "app.kubernetes.io/managed-by"

const managedBy = "edgeproof"

// hostRoot is where the agent mounts the host's root (cmd/edgeproof-agent).
const hostRoot = "/host"

// AgentTimeout bounds the wait for an agent pod on every node.
var AgentTimeout = 2 * time.Minute

// daemonSet is the agent: privileged, in the host's PID and network
// namespaces, with the host's root mounted, on every node whatever its
// taints. It runs nothing until edgeproof executes a command in it.
func daemonSet(image string) *appsv1.DaemonSet {
	labels := map[string]string{"app.kubernetes.io/name": agentName, LabelManagedBy: managedBy}
	privileged, no := true, false
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: agentName, Namespace: Namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": agentName}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostPID: true, HostNetwork: true,
					AutomountServiceAccountToken:  &no,
					PriorityClassName:             "system-node-critical",
					Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					TerminationGracePeriodSeconds: ptr(int64(1)),
					Containers: []corev1.Container{{
						Name: agentName, Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
						SecurityContext: &corev1.SecurityContext{Privileged: &privileged},
						VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: hostRoot,
							MountPropagation: ptr(corev1.MountPropagationHostToContainer)}},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("5m"), corev1.ResourceMemory: resource.MustParse("16Mi")}},
					}},
					Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{
						HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
				},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// install creates the agent's namespace and DaemonSet (adopting those a
// crashed run left) and waits until an agent pod is Ready on every node.
// An image no node can pull fails at once, saying how to provide it.
func install(ctx context.Context, cs kubernetes.Interface, image string, logf func(string, ...any)) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: map[string]string{LabelManagedBy: managedBy}}}
	got, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if got, err = cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{}); err == nil && got.Labels[LabelManagedBy] != managedBy {
			return fmt.Errorf("namespace %s exists and edgeproof did not create it: refusing to use it", Namespace)
		}
		if err == nil && got.DeletionTimestamp != nil {
			return fmt.Errorf("namespace %s is still being deleted by an earlier run: try again in a minute", Namespace)
		}
	}
	if err != nil {
		return fmt.Errorf("creating namespace %s: %w", Namespace, err)
	}
	ds := daemonSet(image)
	if _, err := cs.AppsV1().DaemonSets(Namespace).Create(ctx, ds, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = cs.AppsV1().DaemonSets(Namespace).Update(ctx, ds, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("updating the node agent: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("creating the node agent: %w", err)
	}
	logf("waiting for the node agent (%s) on every node", image)
	start := time.Now()
	if err := waitAgents(ctx, cs, image); err != nil {
		return err
	}
	logf("node agent Ready on every node after %s", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// waitAgents waits until every node has a Ready agent pod of image.
func waitAgents(ctx context.Context, cs kubernetes.Interface, image string) error {
	var pending []string
	var fatal error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, AgentTimeout, true, func(ctx context.Context) (bool, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, fmt.Errorf("listing nodes: %w", err)
		}
		pods, err := agentPods(ctx, cs)
		if err != nil {
			return false, err
		}
		pending = pending[:0]
		for _, n := range nodes.Items {
			p, ok := pods[n.Name]
			switch {
			case !ok:
				pending = append(pending, n.Name+": no agent pod yet")
			case p.Spec.Containers[0].Image != image:
				pending = append(pending, n.Name+": agent pod of an earlier image")
			case !clusters.PodReady(p):
				if why := clusters.PullFailure(p); why != "" {
					fatal = fmt.Errorf("node %s cannot get the agent image %s (%s): push it to a registry the nodes pull from and pass it with --agent-image, or import it into each node's containerd (edgeproof image agent --out agent.tar; ctr -n k8s.io images import agent.tar)", n.Name, image, why)
					return false, fatal
				}
				// The agent only idles: one that does not stay up will not.
				if why := clusters.StartFailure(p); why != "" {
					arch := n.Labels[corev1.LabelArchStable]
					fatal = fmt.Errorf("the node agent does not run on node %s (%s): is its image %s built for the node's architecture %s? edgeproof image agent --out agent.tar --arch %s writes the right one", n.Name, why, image, arch, arch)
					return false, fatal
				}
				pending = append(pending, n.Name+": agent pod "+string(p.Status.Phase))
			}
		}
		return len(pending) == 0, nil
	})
	if fatal != nil {
		return fatal
	}
	if err != nil {
		sort.Strings(pending)
		return fmt.Errorf("node agent not Ready on every node after %s (%s): %w", AgentTimeout, strings.Join(pending, "; "), err)
	}
	return nil
}

// agentPods maps node name to the agent pod running there.
func agentPods(ctx context.Context, cs kubernetes.Interface) (map[string]*corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + agentName})
	if err != nil {
		return nil, fmt.Errorf("listing node agent pods: %w", err)
	}
	out := map[string]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp == nil && p.Spec.NodeName != "" {
			out[p.Spec.NodeName] = p
		}
	}
	return out, nil
}

// uninstall deletes the agent's namespace and waits until it is gone, so
// that a run leaves nothing behind.
func uninstall(ctx context.Context, cs kubernetes.Interface) error {
	err := cs.CoreV1().Namespaces().Delete(ctx, Namespace, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting the node agent: %w", err)
	}
	err = wait.PollUntilContextTimeout(ctx, time.Second, AgentTimeout, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, Namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("node agent namespace %s not gone after %s: %w", Namespace, AgentTimeout, err)
	}
	return nil
}
