package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/apps"
	"github.com/edgeproof/edgeproof/fixtures/images"
)

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Build container images offline"}
	cmd.AddCommand(newImageGoCmd(), newImageAgentCmd())
	return cmd
}

// newImageAgentCmd writes the node agent's image archive, for fleets
// whose nodes pull from no registry: import it into each node once.
func newImageAgentCmd() *cobra.Command {
	var out, arch string
	var ref bool
	cmd := &cobra.Command{
		Use:   "agent (--out FILE [--arch GOARCH] | --ref)",
		Short: "Write the node agent's image archive (docker save format) for clusters edgeproof did not create",
		Long: `Write the node agent's image archive. edgeproof imports every other image
through the agent, so the agent's own image must reach the nodes first:
push it to a registry they pull from (then pass --agent-image), or import
it into each node's containerd:
  ctr --namespace=k8s.io images import FILE
--ref prints only the image's reference (what --agent-image, or a
suite's E2E_AGENT_IMAGE, names).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ref {
				b, err := buildAgent(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), b.Refs[images.Agent])
				return nil
			}
			if out == "" {
				return fmt.Errorf("--out: give the archive to write (or --ref for its reference)")
			}
			if !slices.Contains(images.AgentArchs, arch) {
				return fmt.Errorf("--arch %s: the agent is built for %s", arch, strings.Join(images.AgentArchs, ", "))
			}
			b, err := buildAgent(cmd.Context())
			if err != nil {
				return err
			}
			data, err := os.ReadFile(b.Archives[arch])
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, linux/%s)\n", out, b.Refs[images.Agent], arch)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "archive to write")
	cmd.Flags().StringVar(&arch, "arch", runtime.GOARCH, "GOARCH of the nodes it is for")
	cmd.Flags().BoolVar(&ref, "ref", false, "print the image's reference instead of writing it")
	return cmd
}

// newImageGoCmd packs a Go program from the module proxy as a
// single-binary image archive.
func newImageGoCmd() *cobra.Command {
	var g apps.GoImage
	var out string
	cmd := &cobra.Command{
		Use:   "go --module MODULE@VERSION --tag REF --out FILE",
		Short: "Build a Go program from the module proxy into a single-binary image archive (docker save format)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out: give the archive to write")
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "building %s for linux/%s\n", g.Module, g.Arch)
			if err := apps.BuildGoImage(cmd.Context(), g, out, cmd.ErrOrStderr()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, linux/%s)\n", out, g.Tag, g.Arch)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&g.Module, "module", "", "Go module and version to build from, e.g. github.com/nats-io/nats-server/v2@v2.14.10")
	f.StringVar(&g.Package, "package", "", "main package to build (default: the module's root)")
	f.StringVar(&g.Tag, "tag", "", "image reference to give the image, e.g. example.local/nats-server:2.14.10")
	f.StringVar(&out, "out", "", "archive to write")
	f.StringVar(&g.Arch, "arch", runtime.GOARCH, "GOARCH to build for")
	f.StringSliceVar(&g.Args, "arg", nil, "argument appended to the entrypoint (repeatable)")
	return cmd
}
