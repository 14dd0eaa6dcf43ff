package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/clusters/nodeimage"
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

// Provider returns the provider the suites use.
func Provider(p *progress.Printer) *clusters.Provider {
	return kind.New(func(f string, a ...any) { p.Infof("  "+f, a...) })
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
	topo, err := clusters.LoadTopology(in.Config.Topology)
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
	in.Printer.Infof("Creating cluster %q from %s", name, image)
	return prov.Create(ctx, name, topo, clusters.CreateOptions{NodeImage: image, Logf: func(f string, a ...any) { in.Printer.Infof("  "+f, a...) }})
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
	return prov.Delete(ctx, h.Name)
}
