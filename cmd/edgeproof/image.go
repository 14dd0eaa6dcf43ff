package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/apps"
)

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Build container images offline"}
	cmd.AddCommand(newImageGoCmd())
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
