package clusters

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/e2e-framework/klient"

	"github.com/edgeproof/edgeproof/clusters/addons"
)

// ReadyTimeout bounds the wait for nodes and system pods after creation.
var ReadyTimeout = 4 * time.Minute

// Client returns a client-go clientset for the cluster.
func (c *Cluster) Client() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", c.Kubeconfig, err)
	}
	throttle(cfg)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return cs, nil
}

// throttle raises client-go's default client-side rate limit (5 QPS): a
// harness polling fixtures through the API server every second needs
// tens of requests per second, and throttling would skew its timings.
func throttle(cfg *rest.Config) {
	cfg.QPS, cfg.Burst = 50, 100
}

// Klient returns an e2e-framework client for the cluster.
func (c *Cluster) Klient() (klient.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", c.Kubeconfig, err)
	}
	throttle(cfg)
	kc, err := klient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating klient from %s: %w", c.Kubeconfig, err)
	}
	return kc, nil
}

// setup turns freshly created nodes into the edge topology: the role label
// kubelet may not set on itself, add-ons, then a readiness gate.
func setup(ctx context.Context, c *Cluster, t *Topology, logf func(string, ...any)) error {
	cs, err := c.Client()
	if err != nil {
		return err
	}
	// kubeadm join can return before its kubelet has registered the Node;
	// labelling what is listed at that moment once missed a worker.
	if err := waitRegistered(ctx, cs, 1+len(t.WorkerZones()), ReadyTimeout); err != nil {
		return err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabelTier + "=" + TierEdge})
	if err != nil {
		return fmt.Errorf("listing edge nodes: %w", err)
	}
	patch := []byte(`{"metadata":{"labels":{"` + LabelEdgeRole + `":""}}}`)
	for _, n := range nodes.Items {
		if _, err := cs.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("labelling %s as edge: %w", n.Name, err)
		}
	}
	kc, err := c.Klient()
	if err != nil {
		return err
	}
	if err := guardServiceCIDR(ctx, c, cs); err != nil {
		return err
	}
	if err := addons.InstallMetricsServer(ctx, kc, ""); err != nil {
		return err
	}
	logf("waiting for nodes and kube-system pods to be Ready")
	start := time.Now()
	if err := WaitReady(ctx, cs, ReadyTimeout); err != nil {
		return err
	}
	ready := time.Since(start)
	if err := waitMetricsAPI(ctx, cs, MetricsAPITimeout, logf); err != nil {
		return err
	}
	// The split says where the seconds after kind's part go.
	logf("nodes and kube-system Ready after %s, metrics API served %s later",
		ready.Round(100*time.Millisecond), (time.Since(start) - ready).Round(100*time.Millisecond))
	return nil
}

// waitRegistered waits until at least want Nodes exist.
func waitRegistered(ctx context.Context, cs kubernetes.Interface, want int, timeout time.Duration) error {
	err := poll(ctx, timeout, 500*time.Millisecond, func(ctx context.Context) (string, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil || len(nodes.Items) >= want {
			return "", err
		}
		return fmt.Sprintf("only %d of %d nodes registered", len(nodes.Items), want), nil
	})
	if err != nil {
		return fmt.Errorf("waiting %s for %d nodes to register: %w", timeout, want, err)
	}
	return nil
}

// WaitReady waits until every node is Ready and every kube-system pod is
// Ready, and names what is not when the timeout expires.
func WaitReady(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) error {
	err := poll(ctx, timeout, time.Second, func(ctx context.Context) (string, error) {
		pending, err := notReady(ctx, cs)
		return strings.Join(pending, ", "), err
	})
	if err != nil {
		return fmt.Errorf("cluster not ready after %s: %w", timeout, err)
	}
	return nil
}

// poll calls check every interval until it reports nothing pending and no
// error. When timeout passes first it returns check's last error, or else
// what it last reported pending.
func poll(ctx context.Context, timeout, interval time.Duration, check func(context.Context) (pending string, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		pending, err := check(ctx)
		if err == nil && pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return err
			}
			return errors.New(pending)
		case <-time.After(interval):
		}
	}
}

func notReady(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	var out []string
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, n := range nodes.Items {
		if !NodeReady(&n) {
			out = append(out, "node "+n.Name)
		}
	}
	pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, p := range pods.Items {
		if !PodReady(&p) {
			out = append(out, "pod kube-system/"+p.Name)
		}
	}
	if len(nodes.Items) == 0 {
		out = append(out, "no nodes registered")
	}
	return out, nil
}

// NodeReady reports a node's Ready condition.
func NodeReady(n *corev1.Node) bool {
	c := ReadyCondition(n)
	return c != nil && c.Status == corev1.ConditionTrue
}

// ReadyCondition is a node's Ready condition, or nil when it has none yet.
func ReadyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// PullFailure says why a pod's image cannot be had (the container and
// image, the kubelet's reason and message), or "". It counts a pull that
// failed and is backing off, not a first attempt that is still retried.
func PullFailure(p *corev1.Pod) string {
	for _, s := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if w := s.State.Waiting; w != nil {
			switch w.Reason {
			case "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName":
				return fmt.Sprintf("container %s, image %s: %s: %s", s.Name, s.Image, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// StartFailure says why a container of the pod keeps failing to start or
// to stay up (crash-looping, or its runtime refusing to create or run it,
// as for an image of another architecture), with its last exit, or "".
func StartFailure(p *corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		w := s.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "CrashLoopBackOff", "RunContainerError", "CreateContainerError":
			why := fmt.Sprintf("container %s, image %s: %s", s.Name, s.Image, w.Reason)
			if exit := LastExit(s); exit != "" {
				why += exit
			} else if w.Message != "" {
				why += ": " + w.Message
			}
			return why
		}
	}
	return ""
}

// LastExit is ", last exit code N (reason message)" for a container that
// has run and ended before, or "".
func LastExit(s corev1.ContainerStatus) string {
	t := s.LastTerminationState.Terminated
	if t == nil {
		return ""
	}
	return fmt.Sprintf(", last exit code %d (%s)", t.ExitCode, strings.TrimSpace(t.Reason+" "+t.Message))
}

// PodReady reports a pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
