package framework

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/edgeproof/edgeproof/clusters"
)

// ExecInPod runs a command in a pod's first container and returns stdout.
func ExecInPod(ctx context.Context, kc klient.Client, ns, pod string, cmd ...string) (string, error) {
	var p corev1.Pod
	if err := kc.Resources(ns).Get(ctx, pod, ns, &p); err != nil {
		return "", fmt.Errorf("getting pod %s/%s: %w", ns, pod, err)
	}
	if len(p.Spec.Containers) == 0 {
		return "", fmt.Errorf("pod %s/%s has no containers", ns, pod)
	}
	var out, errOut bytes.Buffer
	if err := kc.Resources().ExecInPod(ctx, ns, pod, p.Spec.Containers[0].Name, cmd, &out, &errOut); err != nil {
		return out.String(), fmt.Errorf("exec %q in %s/%s: %w: %s", strings.Join(cmd, " "), ns, pod, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// ReadyPods returns the Ready, non-terminating pods matching selector,
// keyed by pod name with the node they run on.
func ReadyPods(ctx context.Context, cs kubernetes.Interface, ns, selector string) (map[string]string, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing pods %s in %s: %w", selector, ns, err)
	}
	out := map[string]string{}
	for _, p := range pods.Items {
		if clusters.PodReady(&p) {
			out[p.Name] = p.Spec.NodeName
		}
	}
	return out, nil
}

// NodeCondition returns the status of a node's Ready condition ("True",
// "False", "Unknown").
func NodeCondition(ctx context.Context, cs kubernetes.Interface, node string) (corev1.ConditionStatus, error) {
	n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if c := clusters.ReadyCondition(n); c != nil {
		return c.Status, nil
	}
	return corev1.ConditionUnknown, nil
}

// Poll calls fn every period until it returns true, an error, or timeout.
func Poll(ctx context.Context, period, timeout time.Duration, fn func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		done, err := fn(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met within %s", timeout)
		case <-time.After(period):
		}
	}
}
