package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/clusters/qemu"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
)

func newQEMUCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "qemu", Short: "arm64 edge nodes as QEMU virtual machines"}
	disk := &cobra.Command{Use: "disk", Short: "The arm64 node disk the VMs boot from"}
	var opts qemu.Options
	build := &cobra.Command{
		Use:   "build",
		Short: "Build (or find in the cache) the arm64 node disk; prints its directory on stdout",
		Long: "Builds, once and cached in ~/.cache/edgeproof/qemu, a raw ext4 arm64 node disk (Debian " +
			nodeimage.DebianSuite + ", containerd, kubelet and kubeadm) with the kernel and initramfs beside it. " +
			"Needs root and the tools `edgeproof doctor` lists for the qemu provider.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := repo.Root()
			if err != nil {
				return err
			}
			opts.RepoRoot = root
			opts.Printer = progress.New(cmd.ErrOrStderr())
			d, err := qemu.BuildDisk(cmd.Context(), opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), d.Dir)
			return nil
		},
	}
	build.Flags().StringVar(&opts.KubernetesVersion, "kubernetes", nodeimage.DefaultKubernetesVersion, "Kubernetes version of kubelet and kubeadm")
	build.Flags().StringVar(&opts.DiskSize, "size", qemu.DefaultDiskSize, "filesystem size of the base image (mkfs.ext4 syntax)")
	build.Flags().BoolVar(&opts.LowPriority, "nice", false, "run the heavy steps under nice -n 19 and ionice -c3")
	build.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "stream the output of go build, debootstrap and mkinitramfs")
	disk.AddCommand(build)
	cmd.AddCommand(disk)
	return cmd
}
