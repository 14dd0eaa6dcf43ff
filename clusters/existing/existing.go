// Package existing runs edgeproof on a cluster it did not create, reached
// only through a kubeconfig: a staging fleet of k3s or kubeadm nodes, or a
// kind cluster treated as foreign. Nothing here calls Docker, kind or
// QEMU. Nodes are reached through a node agent (cmd/edgeproof-agent),
// a privileged DaemonSet installed for the run and removed after it:
// commands, image imports and log collection go through the API server's
// exec into the agent pod on each node.
package existing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/oci"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Kind is the provider's name.
const Kind = "existing"

// Options say which cluster to open and with which agent image.
type Options struct {
	// Kubeconfig is the kubeconfig file; empty means $KUBECONFIG, else
	// ~/.kube/config, as kubectl reads them.
	Kubeconfig string
	// Context is the kubeconfig context; empty means its current context.
	Context string
	// AgentImage is the node agent's image reference. It must already be
	// on every node or be pullable by them (the agent is what imports
	// every other image).
	AgentImage string
	// NoAgent leaves the agent out, for a dry run that must change
	// nothing: nodes are listed and judged from the API, but commands on
	// them fail.
	NoAgent bool
	// Registry, when set, is where edgeproof's own images (the agent's,
	// the fixtures') are pushed for the nodes to pull, host[:port][/path];
	// otherwise they are imported into each node through the agent.
	Registry string
	// Fleet holds the power hooks and the production marker (may be nil).
	Fleet *scenarios.Fleet
	// Production allows a run on a cluster that carries the fleet's
	// production marker.
	Production bool
	// Logf receives progress lines (may be nil).
	Logf func(format string, args ...any)
}

// Driver is the clusters.Driver of one existing cluster. Create and
// Delete refuse: edgeproof never creates or deletes a cluster it was
// handed.
type Driver struct {
	o       Options
	name    string
	kubecfg []byte // the chosen context alone, credentials inline
	cs      kubernetes.Interface
	agents  *agents

	mu        sync.Mutex
	installed bool
	deadMen   deadMen
}

var _ clusters.Driver = (*Driver)(nil)

// nameRE keeps the characters a cluster name may hold (it names files).
var nameRE = regexp.MustCompile(`[^a-z0-9-]+`)

// Open reads the kubeconfig's context, checks that its API server
// answers, installs the node agent and returns the cluster. The cluster is
// named "existing-CONTEXT"; its journal and reports use that name.
// Release the cluster (Cluster.Release) to remove the agent.
func Open(ctx context.Context, o Options) (*clusters.Cluster, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.AgentImage == "" && !o.NoAgent {
		return nil, errors.New("existing cluster: no node agent image given")
	}
	d, err := newDriver(o)
	if err != nil {
		return nil, err
	}
	c, err := clusters.NewProvider(d).Get(ctx, d.name)
	if err != nil {
		return nil, err
	}
	if _, err := d.cs.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("%s: the API server does not answer: %w", d.where(), err)
	}
	rules := RunnerRules
	if o.Fleet != nil && o.Fleet.Spec.Topology != nil && !o.NoAgent {
		rules = append(slices.Clone(rules), TopologyRules...)
	}
	if err := checkAccess(ctx, d.cs, rules); err != nil {
		return nil, fmt.Errorf("%s: %w", d.where(), err)
	}
	if err := d.checkFleet(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", d.where(), err)
	}
	// Labels first: the agent's install and every later step see the
	// cluster as the run will.
	if err := d.applyTopology(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", d.where(), err), c.Release(context.WithoutCancel(ctx)))
	}
	if err := d.ensureAgent(ctx); err != nil {
		return nil, errors.Join(err, c.Release(context.WithoutCancel(ctx)))
	}
	return c, nil
}

// newDriver loads the chosen context from the kubeconfig.
func newDriver(o Options) (*Driver, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", describe(o.Kubeconfig), err)
	}
	cur := o.Context
	if cur == "" {
		cur = raw.CurrentContext
	}
	if cur == "" {
		return nil, fmt.Errorf("kubeconfig %s: no current context; name one with --context", describe(o.Kubeconfig))
	}
	if _, ok := raw.Contexts[cur]; !ok {
		return nil, fmt.Errorf("kubeconfig %s: no context %q", describe(o.Kubeconfig), cur)
	}
	raw.CurrentContext = cur
	if err := clientcmdapi.MinifyConfig(&raw); err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w", describe(o.Kubeconfig), cur, err)
	}
	if err := clientcmdapi.FlattenConfig(&raw); err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w", describe(o.Kubeconfig), cur, err)
	}
	b, err := clientcmd.Write(raw)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", describe(o.Kubeconfig), err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w", describe(o.Kubeconfig), cur, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w", describe(o.Kubeconfig), cur, err)
	}
	name := "existing-" + strings.Trim(nameRE.ReplaceAllString(strings.ToLower(cur), "-"), "-")
	return &Driver{o: o, name: name, kubecfg: b, cs: cs, agents: &agents{cfg: cfg, cs: cs}}, nil
}

func describe(path string) string {
	if path == "" {
		return "($KUBECONFIG or ~/.kube/config)"
	}
	return path
}

// where names the cluster for errors: file and context.
func (d *Driver) where() string {
	return fmt.Sprintf("cluster %s (kubeconfig %s)", d.name, describe(d.o.Kubeconfig))
}

func (d *Driver) ensureAgent(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.installed || d.o.NoAgent {
		return nil
	}
	if err := install(ctx, d.cs, d.o.AgentImage, d.o.Logf); err != nil {
		return fmt.Errorf("%s: %w", d.where(), err)
	}
	d.installed = true
	return nil
}

// Kind implements clusters.Driver.
func (d *Driver) Kind() string { return Kind }

// Create implements clusters.Driver: it refuses.
func (d *Driver) Create(context.Context, string, *clusters.Topology, clusters.CreateOptions, string) error {
	return errors.New("edgeproof does not create clusters through a kubeconfig: it runs on the one the kubeconfig names")
}

// Delete implements clusters.Driver: it refuses, since edgeproof never
// deletes a cluster it did not create.
func (d *Driver) Delete(context.Context, string, string) error {
	return fmt.Errorf("%s: edgeproof does not delete a cluster it did not create", d.where())
}

// List implements clusters.Driver: the one cluster the kubeconfig names.
func (d *Driver) List(context.Context) ([]string, error) { return []string{d.name}, nil }

// WriteKubeconfig implements clusters.Driver: the chosen context alone,
// owner-only, as it carries credentials.
func (d *Driver) WriteKubeconfig(_ context.Context, _ string, path string) error {
	if err := os.WriteFile(path, d.kubecfg, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// Nodes implements clusters.Driver: every Node of the cluster, operated
// through its agent.
func (d *Driver) Nodes(ctx context.Context, _ string) ([]clusters.NodeOps, error) {
	if err := d.ensureAgent(ctx); err != nil {
		return nil, err
	}
	list, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: listing nodes: %w", d.where(), err)
	}
	hooks, err := powerHooks(d.o.Fleet, list.Items, &d.deadMen)
	if err != nil {
		return nil, err
	}
	out := make([]clusters.NodeOps, len(list.Items))
	for i, n := range list.Items {
		nd := &node{name: n.Name, a: d.agents, refuse: refusal(n.Name, n.Labels)}
		out[i] = nd
		if p := hooks[n.Name]; p != nil {
			out[i] = &powered{node: nd, p: p}
		}
	}
	return out, nil
}

// Unattended implements clusters.Unattended: every node of an existing
// cluster is reached only through the cluster.
func (d *Driver) Unattended() bool { return true }

// GuardNode implements clusters.NodeGuard: only opted-in nodes that do
// not run the control plane may be faulted.
func (d *Driver) GuardNode(n *corev1.Node) error { return refusal(n.Name, n.Labels) }

// importScript imports a docker-archive from stdin into the node's
// containerd, in the namespace the kubelet uses, with whichever ctr the
// distribution ships.
const importScript = `if command -v ctr >/dev/null 2>&1; then exec ctr --namespace=k8s.io images import --all-platforms --digests -
elif command -v k3s >/dev/null 2>&1; then exec k3s ctr --namespace=k8s.io images import --all-platforms --digests -
elif command -v microk8s >/dev/null 2>&1; then exec microk8s ctr --namespace=k8s.io images import --all-platforms --digests -
fi
echo "no ctr on this node: cannot import images" >&2; exit 127`

// PublishImages implements clusters.Publisher: pushed to Options.Registry
// when set (go-containerregistry; one multi-architecture index per
// image), else imported into every node through its agent.
func (d *Driver) PublishImages(ctx context.Context, archives map[string]string) (map[string]string, error) {
	if d.o.Registry == "" {
		return nil, d.LoadImageArchivesByArch(ctx, d.name, archives)
	}
	start := time.Now()
	refs, err := oci.Push(ctx, archives, d.o.Registry)
	if err != nil {
		return nil, err
	}
	d.o.Logf("pushed %d images to %s in %s", len(refs), d.o.Registry, time.Since(start).Round(100*time.Millisecond))
	return refs, nil
}

// LoadImageArchive implements clusters.Driver: every node imports the
// archive through its agent.
func (d *Driver) LoadImageArchive(ctx context.Context, name, archive string) error {
	return d.LoadImageArchivesByArch(ctx, name, map[string]string{"": archive})
}

// LoadImageArchivesByArch implements clusters.ArchLoader: each node
// imports the archive of its architecture (kubernetes.io/arch); the ""
// key serves any node.
func (d *Driver) LoadImageArchivesByArch(ctx context.Context, _ string, archives map[string]string) error {
	list, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("%s: listing nodes: %w", d.where(), err)
	}
	data := map[string][]byte{}
	for _, n := range list.Items {
		arch := n.Labels[corev1.LabelArchStable]
		path, ok := archives[arch]
		if !ok {
			if path, ok = archives[""]; !ok {
				return fmt.Errorf("node %s is %s: no image archive for that architecture", n.Name, arch)
			}
		}
		if data[path] == nil {
			if data[path], err = os.ReadFile(path); err != nil {
				return fmt.Errorf("reading image archive: %w", err)
			}
		}
		d.o.Logf("importing %s into node %s through its agent", filepath.Base(path), n.Name)
		if _, err := d.agents.exec(ctx, n.Name, data[path], "sh", "-c", importScript); err != nil {
			return fmt.Errorf("importing %s into node %s: %w", filepath.Base(path), n.Name, err)
		}
	}
	return nil
}

// CollectLogs implements clusters.Driver: each node's kubelet and
// container runtime journal, read through its agent.
func (d *Driver) CollectLogs(ctx context.Context, _ string, dir string) error {
	list, err := d.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("%s: listing nodes: %w", d.where(), err)
	}
	var errs []error
	for _, n := range list.Items {
		out, err := d.agents.exec(ctx, n.Name, nil, "sh", "-c", "journalctl --no-pager -n 5000 -u kubelet -u containerd -u k3s -u k3s-agent 2>&1")
		if err != nil {
			errs = append(errs, err)
		}
		ndir := filepath.Join(dir, n.Name)
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(ndir, "journal.log"), out, 0o644); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// Release implements clusters.Releaser: it removes the node agent and
// waits until its namespace is gone.
func (d *Driver) Release(ctx context.Context, _ string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.o.NoAgent {
		return nil
	}
	errs := []error{d.removeTopology(ctx)}
	if err := uninstall(ctx, d.cs); err != nil {
		errs = append(errs, err)
	} else {
		d.installed = false
		d.o.Logf("node agent removed")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", d.where(), err)
	}
	return nil
}
