package qemu

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
)

// Guest env keys of the join unit.
const (
	EnvNodeIP           = "NODE_IP"
	EnvNodeLabels       = "NODE_LABELS"
	EnvJoinEndpoint     = "JOIN_ENDPOINT"
	EnvJoinToken        = "JOIN_TOKEN"
	EnvJoinCAHash       = "JOIN_CA_HASH"
	EnvCNIImage         = "CNI_IMAGE"
	EnvControlPlaneHost = "CONTROL_PLANE_HOST"
)

// Timeouts of a join, sized for a VM niced beside a busy cluster: alone,
// start to Ready takes about a minute.
var (
	BootTimeout  = 10 * time.Minute
	ReadyTimeout = 5 * time.Minute
)

// EdgeNodeSpec is one arm64 VM to add to a kind cluster as an edge node.
type EdgeNodeSpec struct {
	// Name is the Kubernetes node name (and the VM's hostname).
	Name string
	// Zone is the node's topology.kubernetes.io/zone.
	Zone string
	// Slot picks the VM's address on the cluster network (0, 1, ...).
	Slot int
	// Labels are extra node labels kubelet may set on itself.
	Labels map[string]string
}

// JoinOptions say which cluster the VMs join and from what disk.
type JoinOptions struct {
	// Cluster is a running kind cluster.
	Cluster *clusters.Cluster
	// Disk is the arm64 node disk (BuildDisk).
	Disk *Disk
	// LogDir receives each VM's serial console log (<node>-serial.log).
	LogDir string
	// LowPriority runs QEMU niced, beside a cluster that must keep time.
	LowPriority bool
	// Logf receives progress lines (may be nil).
	Logf func(format string, args ...any)
}

// EdgeNode is an arm64 VM that joined the cluster.
type EdgeNode struct {
	// Spec is what was asked for.
	Spec EdgeNodeSpec
	// IP is the node's address on the cluster network.
	IP string
	// Tap is the VM's tap device on the cluster network's bridge.
	Tap string
	// VM is the running QEMU process.
	VM *VM
	// Timings of the join, from QEMU's start.
	BootedAfter, JoinedAfter, ReadyAfter time.Duration
}

// StateDir holds a cluster's VM run directories (overlays, sockets).
func StateDir(cluster string) (string, error) { return cache.Dir("vms", cluster) }

// joinData is what kubeadm join on a VM needs from the control plane.
type joinData struct {
	endpoint, token, caHash, cpHost, cniImage string
}

// Join boots one VM per spec on the cluster network and joins it as an
// edge worker: kubeadm join with a fresh bootstrap token, its zone and
// tier labels, the edge role label, and a wait until the node is Ready.
// VMs boot together. On any error every VM this call started is removed
// and the error names the node and the step that failed (its serial log
// is in LogDir).
func Join(ctx context.Context, opts JoinOptions, specs []EdgeNodeSpec) ([]*EdgeNode, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cs, err := opts.Cluster.Client()
	if err != nil {
		return nil, err
	}
	jd, err := readJoinData(ctx, cs, opts.Cluster.Name, opts.Disk)
	if err != nil {
		return nil, err
	}
	bridge, err := inspectBridge(ctx, kind.NetworkPrefix+opts.Cluster.Name)
	if err != nil {
		return nil, err
	}
	stateDir, err := StateDir(opts.Cluster.Name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("serial log folder: %w", err)
	}
	var nodes []*EdgeNode
	cleanup := func() {
		for _, n := range nodes {
			_ = n.Remove(context.Background(), cs)
		}
	}
	for _, s := range specs {
		ip, err := bridge.vmAddress(s.Slot)
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("node %s: %w", s.Name, err)
		}
		n := &EdgeNode{Spec: s, IP: ip.String(), Tap: nodeTap(opts.Cluster.Name, s.Name)}
		if err := addTap(ctx, n.Tap, bridge.Bridge); err != nil {
			cleanup()
			return nil, fmt.Errorf("node %s: %w", s.Name, err)
		}
		env := map[string]string{
			EnvNodeName:         s.Name,
			EnvNodeAddress:      fmt.Sprintf("%s/%d", ip, bridge.Subnet.Bits()),
			EnvNodeGateway:      bridge.Gateway.String(),
			EnvNodeIP:           ip.String(),
			EnvNodeLabels:       nodeLabels(s),
			EnvJoinEndpoint:     jd.endpoint,
			EnvJoinToken:        jd.token,
			EnvJoinCAHash:       jd.caHash,
			EnvCNIImage:         jd.cniImage,
			EnvControlPlaneHost: jd.cpHost,
		}
		cfg := VMConfig{
			Name: opts.Cluster.Name + "-" + s.Name, Disk: opts.Disk,
			RunDir:    filepath.Join(stateDir, s.Name),
			SerialLog: filepath.Join(opts.LogDir, s.Name+"-serial.log"),
			Env:       env, Tap: n.Tap, LowPriority: opts.LowPriority,
		}
		n.VM, err = StartVM(ctx, cfg)
		if err != nil {
			_ = deleteTap(context.Background(), n.Tap)
			cleanup()
			return nil, fmt.Errorf("node %s: %w", s.Name, err)
		}
		nodes = append(nodes, n)
		logf("VM %s started (pid %d) at %s on %s, serial log %s", s.Name, n.VM.PID(), ip, n.Tap, cfg.SerialLog)
	}
	for _, n := range nodes {
		if err := n.waitJoined(ctx, cs, logf); err != nil {
			cleanup()
			return nil, err
		}
	}
	return nodes, nil
}

// waitJoined follows one VM from boot to a Ready node with the edge role.
func (n *EdgeNode) waitJoined(ctx context.Context, cs kubernetes.Interface, logf func(string, ...any)) error {
	if _, err := n.VM.WaitReady(ctx, BootTimeout); err != nil {
		return fmt.Errorf("node %s: boot: %w", n.Spec.Name, err)
	}
	n.BootedAfter = time.Since(n.VM.Started)
	logf("VM %s booted and self-tested in %s", n.Spec.Name, n.BootedAfter.Round(100*time.Millisecond))
	if _, err := n.VM.WaitJoined(ctx, BootTimeout); err != nil {
		return fmt.Errorf("node %s: kubeadm join: %w", n.Spec.Name, err)
	}
	n.JoinedAfter = time.Since(n.VM.Started)
	logf("VM %s joined in %s", n.Spec.Name, n.JoinedAfter.Round(100*time.Millisecond))
	if err := WaitNodeReady(ctx, cs, n.Spec.Name, ReadyTimeout); err != nil {
		return fmt.Errorf("node %s: %w (serial log %s)", n.Spec.Name, err, n.VM.Config.SerialLog)
	}
	n.ReadyAfter = time.Since(n.VM.Started)
	// kubelet may not set a node-role label on itself.
	patch := []byte(`{"metadata":{"labels":{"` + clusters.LabelEdgeRole + `":""}}}`)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, n.Spec.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("node %s: labelling it as edge: %w", n.Spec.Name, err)
	}
	logf("node %s Ready %s after QEMU started", n.Spec.Name, n.ReadyAfter.Round(100*time.Millisecond))
	return nil
}

// nodeLabels are the labels kubelet registers the node with.
func nodeLabels(s EdgeNodeSpec) string {
	l := map[string]string{clusters.LabelTier: clusters.TierEdge, clusters.LabelProvider: "qemu"}
	if s.Zone != "" {
		l[clusters.LabelZone] = s.Zone
	}
	for k, v := range s.Labels {
		l[k] = v
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

// WaitNodeReady waits until the node exists and is Ready.
func WaitNodeReady(ctx context.Context, cs kubernetes.Interface, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	state := "not registered"
	for {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil && clusters.NodeReady(n):
			return nil
		case err == nil:
			state = "registered, not Ready"
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node not Ready within %s (%s)", timeout, state)
		case <-time.After(time.Second):
		}
	}
}

// readJoinData creates a bootstrap token on the control-plane container
// and reads what else a joining VM needs: the API endpoint by address
// (the container's name resolves on Docker's network only), the CA's
// public key hash, and the CNI image reference the DaemonSet runs. It
// also checks that the disk preloads the kube-proxy image the cluster
// runs: with no registry, a mismatch would leave the node without
// Services.
func readJoinData(ctx context.Context, cs kubernetes.Interface, cluster string, d *Disk) (joinData, error) {
	cp := cluster + "-control-plane"
	network := kind.NetworkPrefix + cluster
	ipOut, err := command.New("docker", "inspect", "-f", `{{(index .NetworkSettings.Networks "`+network+`").IPAddress}}`, cp).Output(ctx)
	if err != nil {
		return joinData{}, fmt.Errorf("control-plane address: %w", err)
	}
	ip := strings.TrimSpace(string(ipOut))
	if ip == "" {
		return joinData{}, fmt.Errorf("control plane %s has no address on %s", cp, network)
	}
	tok, err := command.New("docker", "exec", cp, "kubeadm", "token", "create", "--ttl", "24h",
		"--description", "edgeproof arm64 edge nodes").Output(ctx)
	if err != nil {
		return joinData{}, fmt.Errorf("creating a bootstrap token on %s: %w", cp, err)
	}
	ca, err := command.New("docker", "exec", cp, "cat", "/etc/kubernetes/pki/ca.crt").Output(ctx)
	if err != nil {
		return joinData{}, fmt.Errorf("reading the cluster CA: %w", err)
	}
	hash, err := caCertHash(ca)
	if err != nil {
		return joinData{}, err
	}
	jd := joinData{endpoint: ip + ":6443", token: strings.TrimSpace(string(tok)), caHash: hash, cpHost: ip + " " + cp}
	images := map[string]string{}
	for _, ds := range []string{"edgeproof-cni", "kube-proxy"} {
		d, err := cs.AppsV1().DaemonSets("kube-system").Get(ctx, ds, metav1.GetOptions{})
		if err != nil {
			return joinData{}, fmt.Errorf("reading DaemonSet kube-system/%s: %w", ds, err)
		}
		images[ds] = d.Spec.Template.Spec.Containers[0].Image
	}
	if images["kube-proxy"] != d.KubeProxyImage {
		return joinData{}, fmt.Errorf("the cluster runs kube-proxy %s but the arm64 disk preloads %s: build the disk for the cluster's Kubernetes version", images["kube-proxy"], d.KubeProxyImage)
	}
	jd.cniImage = images["edgeproof-cni"]
	return jd, nil
}

// caCertHash is kubeadm's discovery hash of a CA: sha256 of its
// DER-encoded SubjectPublicKeyInfo.
func caCertHash(pemData []byte) (string, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return "", errors.New("cluster CA: no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("cluster CA: %w", err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Remove powers the VM off, deletes its Node object (when cs is not nil),
// its tap and its run directory (overlay included).
func (n *EdgeNode) Remove(ctx context.Context, cs kubernetes.Interface) error {
	var errs []error
	if err := n.VM.Remove(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := deleteTap(ctx, n.Tap); err != nil {
		errs = append(errs, err)
	}
	if cs != nil {
		if err := cs.CoreV1().Nodes().Delete(ctx, n.Spec.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting node %s: %w", n.Spec.Name, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveAll removes what a crashed run left of a cluster's VMs: QEMU
// processes found by their pid files (checked to be QEMU running from
// that folder, never another process), taps and run directories. Call it
// when deleting the cluster.
func RemoveAll(ctx context.Context, cluster string) error {
	dir, err := StateDir(cluster)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("VM state of %s: %w", cluster, err)
	}
	var errs []error
	for _, e := range entries {
		run := filepath.Join(dir, e.Name())
		if pid, ok := qemuPID(run); ok {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if err := deleteTap(ctx, nodeTap(cluster, e.Name())); err != nil {
			errs = append(errs, err)
		}
		if err := os.RemoveAll(run); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// qemuPID reads a run directory's pid file and confirms the process is
// QEMU started with that directory's files.
func qemuPID(run string) (int, bool) {
	raw, err := os.ReadFile(filepath.Join(run, "qemu.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !qemuFrom(cmdline, run) {
		return 0, false
	}
	return pid, true
}

// qemuFrom reports whether a /proc cmdline is qemu-system-aarch64 using
// files under dir.
func qemuFrom(cmdline []byte, dir string) bool {
	prog, _, _ := strings.Cut(string(cmdline), "\x00")
	return strings.HasSuffix(prog, "qemu-system-aarch64") && strings.Contains(string(cmdline), dir+"/")
}

// Leftovers lists what remains of a cluster's VMs after it was deleted:
// run directories, QEMU processes started from them and tap devices. An
// empty list means clean.
func Leftovers(ctx context.Context, cluster string) ([]string, error) {
	root, err := cache.Dir("vms")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, cluster)
	var out []string
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			out = append(out, "VM run directory "+filepath.Join(dir, e.Name()))
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if raw, err := os.ReadFile(p); err == nil && qemuFrom(raw, dir) {
			out = append(out, "QEMU process "+filepath.Base(filepath.Dir(p)))
		}
	}
	// Tap names derive from node names; a cluster has at most a few VMs.
	for i := 1; i <= 16; i++ {
		tap := nodeTap(cluster, NodeName(cluster, i))
		if tapExists(ctx, tap) {
			out = append(out, "tap device "+tap)
		}
	}
	return out, nil
}
