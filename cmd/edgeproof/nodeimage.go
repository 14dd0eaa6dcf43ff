package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
)

func newNodeImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "node-image", Short: "Build kind node images offline"}
	var opts nodeimage.Options
	build := &cobra.Command{
		Use:   "build",
		Short: "Build (or find in the cache) the node image; prints its reference on stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := repo.Root()
			if err != nil {
				return err
			}
			opts.RepoRoot = root
			opts.Printer = progress.New(cmd.ErrOrStderr())
			res, err := nodeimage.Build(cmd.Context(), opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Image)
			return nil
		},
	}
	build.Flags().StringVar(&opts.KubernetesVersion, "kubernetes", nodeimage.DefaultKubernetesVersion, "Kubernetes version to build")
	build.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "stream the output of go build, debootstrap and docker")
	cmd.AddCommand(build)
	return cmd
}
