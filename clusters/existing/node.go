package existing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/edgeproof/edgeproof/clusters"
)

// agents reaches nodes through their agent pods.
type agents struct {
	cfg *rest.Config
	cs  kubernetes.Interface

	mu   sync.Mutex
	pods map[string]*corev1.Pod // node -> agent pod, refreshed on a miss
}

// pod returns the agent pod on node.
func (a *agents) pod(ctx context.Context, node string) (*corev1.Pod, error) {
	a.mu.Lock()
	p := a.pods[node]
	a.mu.Unlock()
	if p != nil {
		return p, nil
	}
	pods, err := agentPods(ctx, a.cs)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.pods = pods
	a.mu.Unlock()
	if p = pods[node]; p == nil {
		return nil, fmt.Errorf("no node agent pod on node %s", node)
	}
	return p, nil
}

// exec runs args on node's host through its agent pod, feeding stdin when
// it is not nil. A non-zero exit is an error carrying stderr, as a command
// run on a kind node reports it.
func (a *agents) exec(ctx context.Context, node string, stdin []byte, args ...string) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("exec: no command")
	}
	p, err := a.pod(ctx, node)
	if err != nil {
		return nil, err
	}
	cmd := append([]string{"/" + agentName, "host", "--"}, args...)
	req := a.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.Namespace).Name(p.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: agentName, Command: cmd, Stdin: stdin != nil, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(a.cfg, "POST", req.URL())
	if err != nil {
		return nil, fmt.Errorf("exec on %s: %w", node, err)
	}
	ws, err := remotecommand.NewWebSocketExecutor(a.cfg, "GET", req.URL().String())
	if err != nil {
		return nil, fmt.Errorf("exec on %s: %w", node, err)
	}
	// Fall back to SPDY only when the API server refuses the WebSocket
	// upgrade, as kubectl does: any other error came after the command
	// started, and running it a second time is not a retry of the same
	// thing (iptables-restore -I would insert its rules twice).
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("exec on %s: %w", node, err)
	}
	var out, stderr bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Stderr: &stderr}
	if stdin != nil {
		opts.Stdin = bytes.NewReader(stdin)
	}
	if err := ex.StreamWithContext(ctx, opts); err != nil {
		if strings.Contains(err.Error(), "not found") {
			a.mu.Lock()
			a.pods = nil // the pod was replaced: look it up again next time
			a.mu.Unlock()
		}
		return out.Bytes(), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()+" "+out.String()))
	}
	return out.Bytes(), nil
}

// node is one node of an existing cluster, operated through its agent.
type node struct {
	name string
	a    *agents
	// refuse is why faults may not target the node (not opted in, or
	// control plane), or nil.
	refuse error
}

var (
	_ clusters.NodeOps    = (*node)(nil)
	_ clusters.Limited    = (*node)(nil)
	_ clusters.Guarded    = (*node)(nil)
	_ clusters.Unattended = (*node)(nil)
)

// Unattended implements clusters.Unattended: edgeproof reaches the node
// only through the API server, so its faults carry a dead-man timer.
func (n *node) Unattended() bool { return true }

// LabelChaos opts a node of an existing cluster in to node faults, when
// set to ChaosAllowed. Nodes without it are refused: a fault on a cluster
// edgeproof was handed touches only the nodes its owner chose.
const LabelChaos = "edgeproof.dev/chaos"

// ChaosAllowed is LabelChaos's opt-in value.
const ChaosAllowed = "allowed"

// labelControlPlane marks control-plane nodes (kubeadm, k3s).
const labelControlPlane = "node-role.kubernetes.io/control-plane"

// refusal says why faults may not target a node with these labels, or
// nil. Opting in comes first: a control-plane node that was not opted in
// is refused for that, and one that was only when its fault's target does
// not allow the control plane (*clusters.ControlPlaneError).
func refusal(name string, labels map[string]string) error {
	if labels[LabelChaos] != ChaosAllowed {
		return fmt.Errorf("node %s is not opted in to faults: label it %s=%s (kubectl label node %s %s=%s) if it may be broken", name, LabelChaos, ChaosAllowed, name, LabelChaos, ChaosAllowed)
	}
	if _, cp := labels[labelControlPlane]; cp {
		return &clusters.ControlPlaneError{Node: name}
	}
	return nil
}

// Guard implements clusters.Guarded.
func (n *node) Guard() error { return n.refuse }

func (n *node) Name() string { return n.name }

// noPower is why an existing cluster's node cannot be powered off, stopped
// or paused from here.
const noPower = "edgeproof has no hand on this node's power or its container: an existing cluster's nodes are reached only through the node agent, and no power hook of a fleet file (--fleet) switches this node"

func (n *node) Stop(context.Context) error {
	return fmt.Errorf("%s: %w", noPower, errors.ErrUnsupported)
}
func (n *node) Start(context.Context) error {
	return fmt.Errorf("%s: %w", noPower, errors.ErrUnsupported)
}
func (n *node) Kill(context.Context) error {
	return fmt.Errorf("%s: %w", noPower, errors.ErrUnsupported)
}
func (n *node) Pause(context.Context) error {
	return fmt.Errorf("%s: %w", noPower, errors.ErrUnsupported)
}
func (n *node) Resume(context.Context) error {
	return fmt.Errorf("%s: %w", noPower, errors.ErrUnsupported)
}

// State is "running" when the node's agent pod is Ready: the agent is
// how every operation reaches the node.
func (n *node) State(ctx context.Context) (string, error) {
	p, err := n.a.pod(ctx, n.name)
	if err != nil {
		return "", err
	}
	if p, err = n.a.cs.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{}); err != nil {
		return "", fmt.Errorf("node %s: reading its agent pod: %w", n.name, err)
	}
	if !clusters.PodReady(p) {
		return "agent " + string(p.Status.Phase), nil
	}
	return "running", nil
}

func (n *node) Exec(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	return n.a.exec(ctx, n.name, stdin, args...)
}

// Lacks implements clusters.Limited.
func (n *node) Lacks(op clusters.Op) string {
	switch op {
	case clusters.OpPower, clusters.OpStop, clusters.OpPause, clusters.OpReboot:
		return noPower
	}
	// A cut-off fault the node applies and heals by itself (chaos/native's
	// cutoff.go), and the run shows it in force from the API.
	return ""
}
