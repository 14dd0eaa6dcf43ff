// Package fingerprint records the environment a run used (edgeproof
// version and commit, Kubernetes version, nodes, host capabilities,
// scenario file hashes) for the reports.
package fingerprint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/reports"
)

// Of fingerprints cluster c and this host. Call it while the cluster
// exists; parts that cannot be read are left empty rather than failing a
// report.
func Of(ctx context.Context, c *clusters.Cluster) reports.Environment {
	env := reports.Environment{EdgeproofVersion: "dev", Provider: "kind"}
	bi, _ := debug.ReadBuildInfo()
	if bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		env.EdgeproofVersion = bi.Main.Version
	}
	env.EdgeproofCommit = commit(ctx, bi)
	for _, cp := range host.Detect(ctx).Capabilities {
		env.HostCapabilities = append(env.HostCapabilities, reports.Capability{Name: cp.Name, Value: cp.Value, Meaning: cp.Meaning})
	}
	if c == nil {
		return env
	}
	cs, err := c.Client()
	if err != nil {
		return env
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return env
	}
	for _, n := range nodes.Items {
		env.KubernetesVersion = n.Status.NodeInfo.KubeletVersion
		env.Nodes = append(env.Nodes, reports.Node{
			Name: n.Name, Arch: n.Status.NodeInfo.Architecture, Kernel: n.Status.NodeInfo.KernelVersion,
			ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion, Roles: roles(&n), Zone: n.Labels[clusters.LabelZone],
		})
	}
	return env
}

func roles(n *corev1.Node) []string {
	var out []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// HashFiles returns the sha256 of each file, with paths relative to root
// when they are below it.
func HashFiles(root string, files ...string) ([]reports.FileHash, error) {
	var out []reports.FileHash
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("hashing scenario file: %w", err)
		}
		sum := sha256.Sum256(data)
		name := f
		if rel, err := filepath.Rel(root, f); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		out = append(out, reports.FileHash{Path: name, SHA256: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// commit is the git commit edgeproof was built from, with "-dirty" when the
// tree had uncommitted changes: the VCS stamp of build info bi (may be nil)
// or, for binaries that carry none (go test builds the e2e suite without
// one), the checkout's HEAD. Empty when neither is known.
func commit(ctx context.Context, bi *debug.BuildInfo) string {
	rev, modified := "", false
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		root, err := repo.Root()
		if err != nil {
			return ""
		}
		out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "HEAD").Output()
		if err != nil {
			return ""
		}
		rev = strings.TrimSpace(string(out))
		st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
		modified = err == nil && len(strings.TrimSpace(string(st))) > 0
	}
	if rev != "" && modified {
		rev += "-dirty"
	}
	return rev
}
