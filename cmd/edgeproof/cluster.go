package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/clusters/qemu"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
)

// EnvCluster names an existing cluster to reuse instead of creating one.
const EnvCluster = "EDGEPROOF_CLUSTER"

func newClusterCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Create, list and delete edge clusters"}
	cmd.AddCommand(newClusterCreateCmd(), newClusterDeleteCmd(), newClusterListCmd(), newClusterKubeconfigCmd(), newClusterLoadCmd())
	return cmd
}

// kindProvider is kind with arm64 QEMU VMs joined where the topology
// asks for them.
func kindProvider(p *progress.Printer) *clusters.Provider {
	return kind.New(func(f string, a ...any) { p.Infof("  "+f, a...) }).
		WithExtension(&qemu.Extension{Printer: p})
}

// createFlags are the flags of `cluster create`.
type createFlags struct {
	name, topology, nodeImage, k8sVersion string
	reuse                                 bool
}

func newClusterCreateCmd() *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a kind cluster from a topology file (builds the node image offline if needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := progress.New(cmd.ErrOrStderr())
			c, err := createOrReuse(cmd.Context(), p, f)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c.Kubeconfig)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.name, "name", os.Getenv(EnvCluster), "cluster name (default: the topology's name; $"+EnvCluster+")")
	cmd.Flags().StringVar(&f.topology, "topology", "clusters/configs/edge.yaml", "topology file")
	cmd.Flags().StringVar(&f.nodeImage, "node-image", "", "node image to use instead of building one (e.g. an upstream kindest/node image)")
	cmd.Flags().StringVar(&f.k8sVersion, "kubernetes", nodeimage.DefaultKubernetesVersion, "Kubernetes version of the built node image")
	cmd.Flags().BoolVar(&f.reuse, "reuse", os.Getenv(EnvCluster) != "", "reuse the cluster if it exists")
	return cmd
}

// createOrReuse validates everything before creating anything, so bad input
// never leaves a half-made cluster.
func createOrReuse(ctx context.Context, p *progress.Printer, f createFlags) (*clusters.Cluster, error) {
	topo, err := clusters.LoadTopology(f.topology)
	if err != nil {
		return nil, err
	}
	name := f.name
	if name == "" {
		name = topo.Metadata.Name
	}
	if name == "" {
		name = "edge"
	}
	if _, err := host.DockerServerVersion(ctx); err != nil {
		return nil, fmt.Errorf("no Docker engine answers (run `edgeproof doctor --fix`): %w", err)
	}
	prov := kindProvider(p)
	if f.reuse {
		if ok, err := prov.Exists(ctx, name); err != nil {
			return nil, err
		} else if ok {
			p.Infof("Reusing cluster %q", name)
			return prov.Get(ctx, name)
		}
	}
	image := f.nodeImage
	if image == "" {
		root, err := repo.Root()
		if err != nil {
			return nil, err
		}
		res, err := nodeimage.Build(ctx, nodeimage.Options{KubernetesVersion: f.k8sVersion, RepoRoot: root, Printer: p})
		if err != nil {
			return nil, err
		}
		image = res.Image
	}
	p.Infof("Creating cluster %q (%d edge nodes, profile %s) from %s", name, len(topo.WorkerZones()), topo.Spec.Timers, image)
	return prov.Create(ctx, name, topo, clusters.CreateOptions{NodeImage: image, Logf: func(f string, a ...any) { p.Infof("  "+f, a...) }})
}

func newClusterDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete clusters with their networks and kubeconfig files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := progress.New(cmd.ErrOrStderr())
			prov := kindProvider(p)
			for _, name := range args {
				ok, err := prov.Exists(cmd.Context(), name)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("no cluster named %q", name)
				}
				// Deletion must finish even if the user presses Ctrl-C again.
				if err := prov.Delete(context.WithoutCancel(cmd.Context()), name); err != nil {
					return err
				}
				p.Infof("deleted cluster %q", name)
			}
			return nil
		},
	}
}

func newClusterListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List clusters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			names, err := kindProvider(progress.Discard()).List(cmd.Context())
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
}

func newClusterLoadCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "load NAME ARCHIVE...",
		Short: "Import image archives (docker save format) into every node of a cluster edgeproof created",
		Long: `Import image archives into the container runtime of every node of a
cluster edgeproof created, as an admin would before handing the cluster
over (the node agent's image for a run through --kubeconfig, say).
Scenarios load their own images: see spec.workload.images.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kindProvider(progress.Discard()).Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, a := range args[1:] {
				if _, err := os.Stat(a); err != nil {
					return fmt.Errorf("image archive: %w", err)
				}
				if err := c.LoadImageArchive(cmd.Context(), a); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "loaded %s into every node of %s\n", a, c.Name)
			}
			return nil
		},
	}
}

func newClusterKubeconfigCmd() *cobra.Command {
	var raw bool
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME",
		Short: "Print the path of a cluster's kubeconfig (--raw: its content)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kindProvider(progress.Discard()).Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !raw {
				fmt.Fprintln(cmd.OutOrStdout(), c.Kubeconfig)
				return nil
			}
			b, err := os.ReadFile(c.Kubeconfig)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "print the kubeconfig itself")
	return cmd
}
