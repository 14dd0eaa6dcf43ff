package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/existing"
	"github.com/edgeproof/edgeproof/fixtures/images"
	"github.com/edgeproof/edgeproof/internal/oci"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/scenarios"
)

// target says which cluster a command acts on: one edgeproof created
// (--cluster) or one it is handed (--kubeconfig, --context).
type target struct {
	cluster, kubeconfig, context, agentImage, fleet, registry string
	cmd                                                       *cobra.Command
	// production allows a cluster carrying the fleet's production marker.
	production bool
	// noAgent opens an existing cluster without installing the agent
	// (a dry run changes nothing).
	noAgent bool
}

func (t *target) flags(cmd *cobra.Command, verb string) {
	t.cmd = cmd
	f := cmd.Flags()
	f.StringVar(&t.cluster, "cluster", os.Getenv(EnvCluster), "cluster edgeproof created to "+verb+" ($"+EnvCluster+")")
	f.StringVar(&t.kubeconfig, "kubeconfig", "", "kubeconfig of a cluster edgeproof did not create, to "+verb+" through the API server and a node agent (no Docker, kind or QEMU)")
	f.StringVar(&t.context, "context", "", "context of --kubeconfig (default: its current context)")
	f.StringVar(&t.agentImage, "agent-image", "", "node agent image the nodes can pull (default: edgeproof's own, which must already be on every node: edgeproof image agent)")
	f.StringVar(&t.registry, "registry", "", "registry the --kubeconfig cluster's nodes pull from, host[:port][/path]: edgeproof pushes its agent and fixture images there (credentials from ~/.docker/config.json) instead of importing them through the agent")
	f.StringVar(&t.fleet, "fleet", "", "fleet file of the --kubeconfig cluster: its nodes' power hooks and its production marker (docs/existing-clusters.md)")
	f.BoolVar(&t.production, "production", false, "run even though the cluster carries the fleet file's production marker")
}

// open returns the cluster. An existing cluster gets the node agent, which
// the caller removes with Cluster.Release.
func (t *target) open(ctx context.Context, p *progress.Printer) (*clusters.Cluster, error) {
	switch {
	case t.kubeconfig != "" && t.cmd.Flags().Changed("cluster"):
		return nil, errors.New("--cluster and --kubeconfig name two clusters: give one")
	case t.kubeconfig != "":
		var fleet *scenarios.Fleet
		if t.fleet != "" {
			f, err := scenarios.LoadFleet(t.fleet)
			if err != nil {
				return nil, err
			}
			fleet = f
		}
		img := t.agentImage
		if img == "" && !t.noAgent {
			built, err := buildAgent(ctx)
			if err != nil {
				return nil, err
			}
			img = built.Refs[images.Agent]
			if t.registry != "" {
				p.Infof("  pushing the node agent's image to %s", t.registry)
				pushed, err := oci.Push(ctx, built.Archives, t.registry)
				if err != nil {
					return nil, fmt.Errorf("pushing the node agent's image: %w", err)
				}
				img = pushed[img]
			}
		}
		return existing.Open(ctx, existing.Options{Kubeconfig: t.kubeconfig, Context: t.context, AgentImage: img, NoAgent: t.noAgent,
			Fleet: fleet, Production: t.production, Registry: t.registry, Logf: func(f string, a ...any) { p.Infof("  "+f, a...) }})
	case t.context != "":
		return nil, errors.New("--context needs --kubeconfig")
	case t.fleet != "" || t.registry != "" || t.cmd.Flags().Changed("production"):
		return nil, errors.New("--fleet, --registry and --production are for a cluster given with --kubeconfig")
	case t.cluster == "":
		return nil, fmt.Errorf("--cluster (or $%s) or --kubeconfig is required", EnvCluster)
	}
	return kindProvider(p).Get(ctx, t.cluster)
}

// buildAgent builds the node agent's images from this checkout.
func buildAgent(ctx context.Context) (images.Built, error) {
	root, err := repo.Root()
	if err != nil {
		return images.Built{}, err
	}
	b, err := images.BuildAgent(ctx, root)
	if err != nil {
		return images.Built{}, fmt.Errorf("building the node agent image: %w", err)
	}
	return b, nil
}

func newAgentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "agent", Short: "The node agent edgeproof installs on clusters it did not create"}
	var image string
	manifest := &cobra.Command{
		Use:   "manifest [--agent-image REF]",
		Short: "Print what a run installs and needs on a cluster it did not create: the runner's ClusterRole, the agent's namespace and DaemonSet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if image == "" {
				b, err := buildAgent(cmd.Context())
				if err != nil {
					return err
				}
				image = b.Refs[images.Agent]
			}
			out, err := existing.Manifests(image)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	manifest.Flags().StringVar(&image, "agent-image", "", "agent image reference (default: edgeproof's own build)")
	cmd.AddCommand(manifest)
	return cmd
}
