package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/clusters/qemu"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/progress"
)

// DefaultClusterName is the cluster a suite creates when not told otherwise.
const DefaultClusterName = "edgeproof-e2e"

// SetupClusterInput configures SetupCluster.
type SetupClusterInput struct {
	Config   *Config
	RepoRoot string
	Printer  *progress.Printer
}

// ClusterHandle is what the first Ginkgo process passes to the others.
type ClusterHandle struct {
	Name       string `json:"name"`
	Kubeconfig string `json:"kubeconfig"`
	Reused     bool   `json:"reused"`
}

// Marshal encodes the handle for SynchronizedBeforeSuite.
func (h ClusterHandle) Marshal() []byte { b, _ := json.Marshal(h); return b }

// UnmarshalHandle decodes a handle.
func UnmarshalHandle(b []byte) (ClusterHandle, error) {
	var h ClusterHandle
	err := json.Unmarshal(b, &h)
	return h, err
}

// Provider returns the provider the suites use: kind, with arm64 QEMU VMs
// where the topology asks for them (serial logs into $ARTIFACTS/qemu).
func Provider(p *progress.Printer) *clusters.Provider {
	ext := &qemu.Extension{Printer: p}
	if dir := os.Getenv("ARTIFACTS"); dir != "" {
		ext.LogDir = filepath.Join(dir, "qemu")
	}
	return kind.New(func(f string, a ...any) { p.Infof("  "+f, a...) }).WithExtension(ext)
}

// SetupCluster reuses $EDGEPROOF_CLUSTER or creates a cluster from the
// config's topology. On error nothing it created remains.
func SetupCluster(ctx context.Context, in SetupClusterInput) (*clusters.Cluster, error) {
	if _, err := host.DockerServerVersion(ctx); err != nil {
		return nil, fmt.Errorf("no Docker engine answers (run `make prepare` or `edgeproof doctor --fix`): %w", err)
	}
	prov := Provider(in.Printer)
	if name := os.Getenv(EnvCluster); name != "" {
		in.Printer.Infof("Reusing cluster %q ($%s)", name, EnvCluster)
		return prov.Get(ctx, name)
	}
	topo, err := Topology(in.Config)
	if err != nil {
		return nil, err
	}
	name := os.Getenv(EnvClusterName)
	if name == "" {
		name = DefaultClusterName
	}
	image := os.Getenv(EnvNodeImage)
	if image == "" {
		res, err := nodeimage.Build(ctx, nodeimage.Options{RepoRoot: in.RepoRoot, Printer: in.Printer})
		if err != nil {
			return nil, err
		}
		image = res.Image
	}
	others := otherClusters(ctx, prov, name)
	if others != "" {
		in.Printer.Infof("Note: %s; their nodes share this host's CPU with the new cluster, and the suite's waits and budgets assume they do not", others)
	}
	in.Printer.Infof("Creating cluster %q from %s", name, image)
	c, err := prov.Create(ctx, name, topo, clusters.CreateOptions{NodeImage: image, Logf: func(f string, a ...any) { in.Printer.Infof("  "+f, a...) }})
	if err != nil && others != "" {
		return nil, fmt.Errorf("%w (while %s)", err, others)
	}
	return c, err
}

// otherClusters describes the clusters already running besides name, or
// is empty. A leftover cluster on a 2-core host is enough to make a new
// one miss its Ready wait.
func otherClusters(ctx context.Context, prov *clusters.Provider, name string) string {
	names, err := prov.List(ctx)
	if err != nil {
		return ""
	}
	var others []string
	for _, n := range names {
		if n != name {
			others = append(others, n)
		}
	}
	switch len(others) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("1 other cluster is running (%s)", others[0])
	default:
		return fmt.Sprintf("%d other clusters are running (%s)", len(others), strings.Join(others, ", "))
	}
}

// Topology is the suite's topology as this host can create it: without
// QEMU the suite runs on the kind nodes alone, and specs that need an
// arm64 node skip, saying why (ARM64Missing).
func Topology(cfg *Config) (*clusters.Topology, error) {
	topo, err := clusters.LoadTopology(cfg.Topology)
	if err != nil {
		return nil, err
	}
	if host.QEMUMissing() != nil {
		topo, _ = topo.WithoutARM64()
	}
	return topo, nil
}

// ARM64Missing says why the suite's cluster has no arm64 node.
func ARM64Missing(cfg *Config) string {
	topo, err := clusters.LoadTopology(cfg.Topology)
	if err != nil {
		return err.Error()
	}
	if len(topo.ARM64Workers()) == 0 {
		return fmt.Sprintf("topology %s has no arm64Nodes (make e2e-qemu uses clusters/configs/edge-arm64.yaml)", filepath.Base(cfg.Topology))
	}
	if err := host.QEMUMissing(); err != nil {
		return err.Error()
	}
	return ""
}

// TeardownCluster deletes a cluster the suite created, unless it was reused
// or $E2E_KEEP_CLUSTER is set.
func TeardownCluster(ctx context.Context, p *progress.Printer, h ClusterHandle) error {
	if h.Reused {
		p.Infof("Keeping reused cluster %q", h.Name)
		return nil
	}
	if os.Getenv(EnvKeep) != "" {
		p.Infof("Keeping cluster %q ($%s); delete it with: edgeproof cluster delete %s", h.Name, EnvKeep, h.Name)
		return nil
	}
	prov := Provider(p)
	ok, err := prov.Exists(ctx, h.Name)
	if err != nil || !ok {
		return err
	}
	p.Infof("Deleting cluster %q", h.Name)
	if err := prov.Delete(ctx, h.Name); err != nil {
		return err
	}
	left, err := qemu.Leftovers(ctx, h.Name)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("deleting cluster %q left: %s", h.Name, strings.Join(left, "; "))
	}
	return nil
}
