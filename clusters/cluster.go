// Package clusters creates, finds and deletes edge clusters and gives
// access to their nodes. A Provider wraps a driver (kind today, QEMU VMs
// next), in the style of kind's own pkg/cluster: a small public type over an
// internal interface per driver.
package clusters

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/internal/cache"
)

// NodeOps are the operations a driver performs on one node.
type NodeOps interface {
	// Name is the node's Kubernetes name.
	Name() string
	// Stop shuts the node down gracefully.
	Stop(ctx context.Context) error
	// Start boots a stopped or killed node.
	Start(ctx context.Context) error
	// Kill cuts the node's power: no shutdown, no flushing.
	Kill(ctx context.Context) error
	// Pause freezes every process of the node.
	Pause(ctx context.Context) error
	// Resume thaws a paused node.
	Resume(ctx context.Context) error
	// Exec runs a command on the node and returns its output.
	Exec(ctx context.Context, stdin []byte, args ...string) ([]byte, error)
	// State is the driver's view: running, exited, paused, ...
	State(ctx context.Context) (string, error)
}

// Resetter is implemented by NodeOps whose machine has a reset line (a
// QEMU VM): Reset restarts it at once, without shutting anything down, as
// a board's watchdog or reset button does.
type Resetter interface {
	Reset(ctx context.Context) error
}

// PowerSwitch is implemented by NodeOps whose power is switched by a
// command outside the node (an existing cluster's power hook). Their State
// cannot tell a node without power from a running one until the API server
// notices, so a power loss on them is shown in force from the API, and
// recovered by switching the power on whatever State says.
type PowerSwitch interface {
	// CheckPower fails unless the switch can reach the node's power and
	// finds it on; it changes nothing.
	CheckPower(ctx context.Context) error
	// ArmPowerOn arranges, outside this process, for the power to be
	// switched on at the given moment even if this process is gone by
	// then: the dead-man of a node that cannot run one itself. Start
	// disarms it.
	ArmPowerOn(ctx context.Context, at time.Time) error
}

// Op names a node operation that a driver may lack (see Limited).
type Op string

// The operations a driver may lack.
const (
	// OpPower is cutting a node's power (Kill) and restoring it.
	OpPower Op = "power"
	// OpStop is a graceful stop and a start.
	OpStop Op = "stop"
	// OpPause is freezing a node and thawing it.
	OpPause Op = "pause"
	// OpReboot is a restart.
	OpReboot Op = "reboot"
	// OpCutOff is a fault that leaves the node unreachable from the
	// control plane (its kubelet or runtime stopped, its link to the API
	// server dropped), which must be healed and checked without that path.
	OpCutOff Op = "cut-off"
)

// Limited is implemented by NodeOps that cannot perform every operation:
// Lacks says why op cannot be done on the node, or "" when it can.
type Limited interface {
	Lacks(op Op) string
}

// Guarded is implemented by NodeOps of clusters edgeproof was handed,
// where faults may touch only the nodes their owner opted in: Guard
// returns why a fault may not target the node, or nil.
type Guarded interface {
	Guard() error
}

// Linker is implemented by NodeOps whose network link can be taken down
// and up from outside, as a cable is pulled and plugged back: the node
// sees its carrier go and nothing passes either way.
type Linker interface {
	SetLink(ctx context.Context, up bool) error
}

// Driver is implemented by each provider (package clusters/kind, ...).
type Driver interface {
	// Kind names the driver ("kind").
	Kind() string
	// Create brings up the cluster's nodes and control plane and writes a
	// kubeconfig to kubeconfigPath. On error it leaves nothing behind.
	Create(ctx context.Context, name string, t *Topology, opts CreateOptions, kubeconfigPath string) error
	// List returns the names of existing clusters.
	List(ctx context.Context) ([]string, error)
	// Delete removes every node, network and file the cluster owns.
	Delete(ctx context.Context, name, kubeconfigPath string) error
	// WriteKubeconfig writes an existing cluster's kubeconfig.
	WriteKubeconfig(ctx context.Context, name, path string) error
	// Nodes returns the cluster's nodes.
	Nodes(ctx context.Context, name string) ([]NodeOps, error)
	// LoadImageArchive imports a docker-archive tarball into every node.
	LoadImageArchive(ctx context.Context, name, archive string) error
	// CollectLogs writes node logs into dir.
	CollectLogs(ctx context.Context, name, dir string) error
}

// ArchLoader is implemented by drivers whose nodes may differ in
// architecture: each node imports the archive of its own GOARCH.
type ArchLoader interface {
	LoadImageArchivesByArch(ctx context.Context, name string, archives map[string]string) error
}

// Publisher is implemented by drivers whose nodes pull edgeproof's own
// images from a registry the user names rather than having them
// imported: PublishImages pushes the per-architecture archives there and
// returns the reference each original one is pulled by.
type Publisher interface {
	PublishImages(ctx context.Context, archives map[string]string) (map[string]string, error)
}

// NodeGuard is implemented by drivers of clusters edgeproof was handed:
// GuardNode says, from a Node object alone, why faults may not touch it
// (nil when they may), so that targets pick among the nodes that may.
type NodeGuard interface {
	GuardNode(n *corev1.Node) error
}

// ControlPlaneError refuses a fault on a control-plane node of a cluster
// edgeproof did not create. Unlike the other refusals, a fault's target may
// lift it (scenarios.Target.AllowControlPlane).
type ControlPlaneError struct {
	// Node is the control-plane node.
	Node string
}

func (e *ControlPlaneError) Error() string {
	return fmt.Sprintf("node %s runs the control plane: edgeproof faults a control-plane node of a cluster it did not create only when the fault's target sets allowControlPlane: true", e.Node)
}

// Refusal is err, a node's refusal (Guard, GuardNode), unless it is only
// the control-plane refusal and allowControlPlane lifts it.
func Refusal(err error, allowControlPlane bool) error {
	if _, cp := errors.AsType[*ControlPlaneError](err); cp && allowControlPlane {
		return nil
	}
	return err
}

// Releaser is implemented by drivers that install something of their own
// into a cluster they were handed (the existing provider's node agent):
// Release removes it. Clusters a driver created have nothing to release.
type Releaser interface {
	Release(ctx context.Context, name string) error
}

// CreateOptions tune cluster creation.
type CreateOptions struct {
	// NodeImage is the image nodes boot from (built offline by
	// clusters/nodeimage, or an upstream kindest/node image).
	NodeImage string
	// Logf receives progress lines (may be nil).
	Logf func(format string, args ...any)
}

// Extension adds nodes of another sort to a driver's clusters (arm64
// QEMU VMs joined to a kind control plane, in clusters/qemu). The provider
// joins them once the cluster is set up, lists them with the driver's
// nodes, and removes them before the driver deletes the cluster.
type Extension interface {
	// Join adds the topology's nodes to a cluster that is set up.
	Join(ctx context.Context, c *Cluster, t *Topology, logf func(string, ...any)) error
	// Nodes lists the extension's nodes of the named cluster.
	Nodes(ctx context.Context, name string) ([]NodeOps, error)
	// Delete removes every node the extension added to the named cluster.
	Delete(ctx context.Context, name string) error
	// CollectLogs writes the extension's node logs into dir.
	CollectLogs(ctx context.Context, name, dir string) error
	// LoadImageArchives imports images into the extension's nodes, each
	// node the archive of its architecture (GOARCH -> docker-archive).
	LoadImageArchives(ctx context.Context, name string, archives map[string]string) error
}

// Provider creates and finds clusters through one driver.
type Provider struct {
	b   Driver
	ext []Extension
}

// NewProvider wraps a driver.
func NewProvider(b Driver) *Provider { return &Provider{b: b} }

// WithExtension adds an extension to the provider and returns it.
func (p *Provider) WithExtension(e Extension) *Provider {
	p.ext = append(p.ext, e)
	return p
}

// Cluster is a running cluster.
type Cluster struct {
	// Name of the cluster.
	Name string
	// Kubeconfig is the path of the cluster's own kubeconfig file: never
	// the user's ~/.kube/config, so nothing there is left behind.
	Kubeconfig string
	// Reused is true when the cluster existed before this run; a reused
	// cluster is never deleted by the run.
	Reused bool
	p      *Provider
}

// ErrExists is returned by Create for a name already taken.
type ErrExists struct{ Name string }

func (e ErrExists) Error() string {
	return fmt.Sprintf("cluster %q already exists: reuse it (--reuse, or EDGEPROOF_CLUSTER=%s) or delete it (edgeproof cluster delete %s)", e.Name, e.Name, e.Name)
}

// KubeconfigPath is where a cluster's kubeconfig lives.
func KubeconfigPath(name string) (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	return dir + "/" + name + ".kubeconfig", nil
}

// stateDir holds kubeconfig files; owner-only, as they carry credentials.
func stateDir() (string, error) {
	dir, err := cache.Dir("kubeconfig")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("restricting %s: %w", dir, err)
	}
	return dir, nil
}

// Exists reports whether a cluster of that name exists.
func (p *Provider) Exists(ctx context.Context, name string) (bool, error) {
	names, err := p.b.List(ctx)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// Create creates a cluster from a topology, then labels its nodes,
// installs add-ons and waits until every node and kube-system pod is
// Ready. If anything fails, or ctx is cancelled (Ctrl-C), everything it
// created is deleted before it returns.
func (p *Provider) Create(ctx context.Context, name string, t *Topology, opts CreateOptions) (c *Cluster, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	exists, err := p.Exists(ctx, name)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, ErrExists{Name: name}
	}
	kc, err := KubeconfigPath(name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			logf("cleaning up cluster %q after failure", name)
			// A fresh context: the caller's may be the cancelled one.
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if derr := p.deleteAll(cctx, name, kc); derr != nil {
				err = fmt.Errorf("%w (and cleanup failed: %v)", err, derr)
			}
		}
	}()
	start := time.Now()
	if err := p.b.Create(ctx, name, t, opts, kc); err != nil {
		return nil, fmt.Errorf("creating cluster %q: %w", name, err)
	}
	logf("nodes up and control plane initialised in %s", time.Since(start).Round(100*time.Millisecond))
	c = &Cluster{Name: name, Kubeconfig: kc, p: p}
	if err := setup(ctx, c, t, logf); err != nil {
		return nil, fmt.Errorf("setting up cluster %q: %w", name, err)
	}
	for _, e := range p.ext {
		if err := e.Join(ctx, c, t, logf); err != nil {
			return nil, fmt.Errorf("setting up cluster %q: %w", name, err)
		}
	}
	logf("cluster %q ready in %s", name, time.Since(start).Round(100*time.Millisecond))
	return c, nil
}

// Get returns an existing cluster, writing its kubeconfig if needed.
func (p *Provider) Get(ctx context.Context, name string) (*Cluster, error) {
	exists, err := p.Exists(ctx, name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("no cluster named %q (list them with: edgeproof cluster list)", name)
	}
	kc, err := KubeconfigPath(name)
	if err != nil {
		return nil, err
	}
	if err := p.b.WriteKubeconfig(ctx, name, kc); err != nil {
		return nil, fmt.Errorf("writing kubeconfig of %q: %w", name, err)
	}
	return &Cluster{Name: name, Kubeconfig: kc, Reused: true, p: p}, nil
}

// List returns the names of existing clusters, sorted.
func (p *Provider) List(ctx context.Context) ([]string, error) {
	names, err := p.b.List(ctx)
	sort.Strings(names)
	return names, err
}

// Delete removes a cluster by name, with its network and kubeconfig.
func (p *Provider) Delete(ctx context.Context, name string) error {
	kc, err := KubeconfigPath(name)
	if err != nil {
		return err
	}
	if err := p.deleteAll(ctx, name, kc); err != nil {
		return fmt.Errorf("deleting cluster %q: %w", name, err)
	}
	return nil
}

// deleteAll removes the extensions' nodes, then the driver's cluster,
// even when an extension fails.
func (p *Provider) deleteAll(ctx context.Context, name, kc string) error {
	var errs []error
	for _, e := range p.ext {
		if err := e.Delete(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := p.b.Delete(ctx, name, kc); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Release removes what the run installed into a cluster it was handed
// (see Releaser); for a cluster edgeproof created it does nothing.
func (c *Cluster) Release(ctx context.Context) error {
	if r, ok := c.p.b.(Releaser); ok {
		return r.Release(ctx, c.Name)
	}
	return nil
}

// GuardNode says why faults may not touch node n (see NodeGuard); nil
// when they may, and always nil on a cluster edgeproof created.
func (c *Cluster) GuardNode(n *corev1.Node) error {
	if c == nil || c.p == nil {
		return nil
	}
	if g, ok := c.p.b.(NodeGuard); ok {
		return g.GuardNode(n)
	}
	return nil
}

// Kind names the cluster's driver ("kind", "existing").
func (c *Cluster) Kind() string { return c.p.b.Kind() }

// Delete removes the cluster.
func (c *Cluster) Delete(ctx context.Context) error { return c.p.Delete(ctx, c.Name) }

// Nodes returns the cluster's nodes, sorted by name.
func (c *Cluster) Nodes(ctx context.Context) ([]*Node, error) {
	ops, err := c.p.b.Nodes(ctx, c.Name)
	if err != nil {
		return nil, fmt.Errorf("listing nodes of %q: %w", c.Name, err)
	}
	for _, e := range c.p.ext {
		more, err := e.Nodes(ctx, c.Name)
		if err != nil {
			return nil, fmt.Errorf("listing nodes of %q: %w", c.Name, err)
		}
		ops = append(ops, more...)
	}
	out := make([]*Node, len(ops))
	for i, o := range ops {
		out[i] = &Node{ops: o}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Node returns the node called name.
func (c *Cluster) Node(ctx context.Context, name string) (*Node, error) {
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.Name() == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("cluster %q has no node %q", c.Name, name)
}

// LoadImageArchive imports a docker-archive tarball into every node.
func (c *Cluster) LoadImageArchive(ctx context.Context, archive string) error {
	if err := c.p.b.LoadImageArchive(ctx, c.Name, archive); err != nil {
		return fmt.Errorf("loading %s into %q: %w", archive, c.Name, err)
	}
	return nil
}

// LoadImageArchives imports per-architecture archives (GOARCH ->
// docker-archive, as fixtures/images.BuildFor writes them, all with the
// same references): the driver's nodes get the host architecture's, an
// extension's nodes their own.
func (c *Cluster) LoadImageArchives(ctx context.Context, archives map[string]string) error {
	if l, ok := c.p.b.(ArchLoader); ok {
		if err := l.LoadImageArchivesByArch(ctx, c.Name, archives); err != nil {
			return fmt.Errorf("loading images into %q: %w", c.Name, err)
		}
		return nil
	}
	host, ok := archives[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("loading images into %q: no %s archive", c.Name, runtime.GOARCH)
	}
	if err := c.LoadImageArchive(ctx, host); err != nil {
		return err
	}
	for _, e := range c.p.ext {
		if err := e.LoadImageArchives(ctx, c.Name, archives); err != nil {
			return fmt.Errorf("loading images into %q: %w", c.Name, err)
		}
	}
	return nil
}

// PublishImages makes edgeproof's own images (per-architecture archives,
// as LoadImageArchives takes them) available to the nodes: pushed to the
// registry of a driver that has one (see Publisher), else imported into
// every node. It returns the reference to use for each original one; a
// reference missing from it is used as it is.
func (c *Cluster) PublishImages(ctx context.Context, archives map[string]string) (map[string]string, error) {
	if p, ok := c.p.b.(Publisher); ok {
		refs, err := p.PublishImages(ctx, archives)
		if err != nil {
			return nil, fmt.Errorf("publishing images for %q: %w", c.Name, err)
		}
		return refs, nil
	}
	return nil, c.LoadImageArchives(ctx, archives)
}

// Archs are the architectures of the cluster's nodes (kubernetes.io/arch),
// sorted.
func (c *Cluster) Archs(ctx context.Context) ([]string, error) {
	cs, err := c.Client()
	if err != nil {
		return nil, err
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes of %q: %w", c.Name, err)
	}
	seen := map[string]bool{}
	for _, n := range nodes.Items {
		if a := n.Labels[corev1.LabelArchStable]; a != "" {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

// RemoveDir deletes an absolute directory on every node, for state that
// workloads kept on hostPath volumes.
func (c *Cluster) RemoveDir(ctx context.Context, dir string) error {
	if !filepath.IsAbs(dir) || filepath.Clean(dir) == "/" {
		return fmt.Errorf("refusing to remove %q on the nodes of %q", dir, c.Name)
	}
	nodes, err := c.Nodes(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nodes {
		if _, err := n.Exec(ctx, "rm", "-rf", "--", filepath.Clean(dir)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CollectLogs writes every node's logs (kubelet, containerd, journal,
// pod logs) into dir.
func (c *Cluster) CollectLogs(ctx context.Context, dir string) error {
	if err := c.p.b.CollectLogs(ctx, c.Name, dir); err != nil {
		return fmt.Errorf("collecting logs of %q: %w", c.Name, err)
	}
	for _, e := range c.p.ext {
		if err := e.CollectLogs(ctx, c.Name, dir); err != nil {
			return fmt.Errorf("collecting logs of %q: %w", c.Name, err)
		}
	}
	return nil
}

// Node is one node of a cluster, with the operations faults are made of.
type Node struct{ ops NodeOps }

// Name is the node's Kubernetes name.
func (n *Node) Name() string { return n.ops.Name() }

// Stop shuts the node down gracefully (systemd stops kubelet and pods).
func (n *Node) Stop(ctx context.Context) error { return wrap(n, "stop", n.ops.Stop(ctx)) }

// Start boots the node again after Stop or Kill.
func (n *Node) Start(ctx context.Context) error { return wrap(n, "start", n.ops.Start(ctx)) }

// Kill cuts the node's power.
func (n *Node) Kill(ctx context.Context) error { return wrap(n, "kill", n.ops.Kill(ctx)) }

// Pause freezes the node.
func (n *Node) Pause(ctx context.Context) error { return wrap(n, "pause", n.ops.Pause(ctx)) }

// Resume thaws a paused node.
func (n *Node) Resume(ctx context.Context) error { return wrap(n, "resume", n.ops.Resume(ctx)) }

// Reboot restarts the node: a hardware reset where the node has one (see
// Resetter), else a graceful stop and a start.
func (n *Node) Reboot(ctx context.Context) error {
	if r, ok := n.ops.(Resetter); ok {
		return wrap(n, "reset", r.Reset(ctx))
	}
	if err := n.Stop(ctx); err != nil {
		return err
	}
	return n.Start(ctx)
}

// Resets reports whether Reboot is a hardware reset rather than a stop
// and a start.
func (n *Node) Resets() bool {
	_, ok := n.ops.(Resetter)
	return ok
}

// Lacks says why the node's driver cannot perform op, or "" when it can.
func (n *Node) Lacks(op Op) string {
	if l, ok := n.ops.(Limited); ok {
		return l.Lacks(op)
	}
	return ""
}

// Guard returns why a fault may not target the node (see Guarded), or
// nil.
func (n *Node) Guard() error {
	if g, ok := n.ops.(Guarded); ok {
		return g.Guard()
	}
	return nil
}

// PowerSwitched reports whether the node's power is switched from outside
// (see PowerSwitch).
func (n *Node) PowerSwitched() bool {
	_, ok := n.ops.(PowerSwitch)
	return ok
}

// CheckPower checks a power-switched node's switch (see PowerSwitch); a
// node without one passes.
func (n *Node) CheckPower(ctx context.Context) error {
	if p, ok := n.ops.(PowerSwitch); ok {
		return wrap(n, "check power", p.CheckPower(ctx))
	}
	return nil
}

// ArmPowerOn arms a power-switched node's dead-man (see PowerSwitch); a
// node without a switch needs none.
func (n *Node) ArmPowerOn(ctx context.Context, at time.Time) error {
	if p, ok := n.ops.(PowerSwitch); ok {
		return wrap(n, "arm power-on", p.ArmPowerOn(ctx, at))
	}
	return nil
}

// LinkControl reports whether SetLink can act on the node.
func (n *Node) LinkControl() bool {
	_, ok := n.ops.(Linker)
	return ok
}

// SetLink takes the node's network link down or brings it back up. It
// fails with errors.ErrUnsupported on a node whose driver cannot.
func (n *Node) SetLink(ctx context.Context, up bool) error {
	l, ok := n.ops.(Linker)
	if !ok {
		return wrap(n, "link", fmt.Errorf("its provider cannot take a node's link down: %w", errors.ErrUnsupported))
	}
	op := "link down"
	if up {
		op = "link up"
	}
	return wrap(n, op, l.SetLink(ctx, up))
}

// Exec runs a command on the node.
func (n *Node) Exec(ctx context.Context, args ...string) ([]byte, error) {
	out, err := n.ops.Exec(ctx, nil, args...)
	return out, wrap(n, "exec", err)
}

// ExecInput runs a command on the node, feeding stdin.
func (n *Node) ExecInput(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	out, err := n.ops.Exec(ctx, stdin, args...)
	return out, wrap(n, "exec", err)
}

// State reports the driver's view of the node (running, exited, paused).
func (n *Node) State(ctx context.Context) (string, error) {
	s, err := n.ops.State(ctx)
	return s, wrap(n, "state", err)
}

func wrap(n *Node, op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("node %s: %s: %w", n.Name(), op, err)
}
