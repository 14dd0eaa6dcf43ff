// Package fakecluster is a clusters.Driver for unit tests: nodes are
// in-memory state machines (running, paused, exited) that record every
// call and emulate the few node commands edgeproof runs (iptables-save and
// iptables-restore, tc, systemctl, systemd-run, crictl) closely enough to
// test injection, recovery and leak checks without Docker.
package fakecluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/clusters"
)

// Driver is a fake cluster driver holding one cluster.
type Driver struct {
	// NoNetem makes every node's kernel lack sch_netem.
	NoNetem bool

	name  string
	mu    sync.Mutex
	nodes []*Node
	calls []string
}

// New creates a fake cluster named name with the given nodes, all
// running, and returns it through clusters.Provider.Get. It points
// EDGEPROOF_CACHE at a temporary directory (so tests using it cannot run
// in parallel).
func New(t testing.TB, name string, nodes ...string) (*Driver, *clusters.Cluster) {
	t.Helper()
	t.Setenv("EDGEPROOF_CACHE", t.TempDir())
	b := &Driver{name: name}
	for _, n := range nodes {
		b.nodes = append(b.nodes, newNode(b, n))
	}
	c, err := clusters.NewProvider(b).Get(context.Background(), name)
	if err != nil {
		t.Fatalf("fake cluster: %v", err)
	}
	return b, c
}

// Unattended implements clusters.Unattended for the cluster: true when
// any node is Remote.
func (b *Driver) Unattended() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.nodes {
		if n.Remote {
			return true
		}
	}
	return false
}

// Node returns the fake node called name, or nil.
func (b *Driver) Node(name string) *Node {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// Calls returns the calls made so far, e.g. "kind-worker kill" or
// "kind-worker exec systemctl stop kubelet".
func (b *Driver) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// ResetCalls forgets the calls made so far.
func (b *Driver) ResetCalls() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = nil
}

func (b *Driver) record(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, fmt.Sprintf(format, args...))
}

// Kind implements clusters.Driver.
func (b *Driver) Kind() string { return "fake" }

// Create implements clusters.Driver; the fake cannot create clusters.
func (b *Driver) Create(context.Context, string, *clusters.Topology, clusters.CreateOptions, string) error {
	return errors.New("fake driver: create not supported")
}

// List implements clusters.Driver.
func (b *Driver) List(context.Context) ([]string, error) { return []string{b.name}, nil }

// Delete implements clusters.Driver.
func (b *Driver) Delete(context.Context, string, string) error { return nil }

// WriteKubeconfig implements clusters.Driver with a placeholder file.
func (b *Driver) WriteKubeconfig(_ context.Context, _ string, path string) error {
	return os.WriteFile(path, []byte("# fake\n"), 0o600)
}

// Nodes implements clusters.Driver.
func (b *Driver) Nodes(context.Context, string) ([]clusters.NodeOps, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]clusters.NodeOps, len(b.nodes))
	for i, n := range b.nodes {
		out[i] = n
		if n.Switched {
			out[i] = switched{n}
		}
	}
	return out, nil
}

// LoadImageArchive implements clusters.Driver.
func (b *Driver) LoadImageArchive(context.Context, string, string) error { return nil }

// CollectLogs implements clusters.Driver.
func (b *Driver) CollectLogs(context.Context, string, string) error { return nil }

// KubeNode returns a Node object for a fake clientset, with an InternalIP,
// a podCIDR and labels.
func KubeNode(name, ip, podCIDR string, labels map[string]string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{PodCIDR: podCIDR, PodCIDRs: []string{podCIDR}},
		Status: corev1.NodeStatus{
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
}

// Join is a helper for assertions on Calls.
func Join(calls []string) string { return strings.Join(calls, "\n") }
