package main

import (
	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/progress"
)

func newDoctorCmd() *cobra.Command {
	var fix, qemu bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Show what this host can do; --fix prepares it (Docker engine, runtime wrapper, /lib/modules; with --qemu also the QEMU arm64 tools)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p := progress.New(cmd.ErrOrStderr())
			if fix {
				p.Infof("Preparing host")
				changes, err := host.Prepare(ctx, p, host.PrepareOptions{Install: true})
				if err != nil {
					return err
				}
				// Only QEMU work needs the arm64 tools: kind clusters alone
				// should not wait for five minutes of apt.
				if qemu {
					qemuChanges, err := host.PrepareQEMU(ctx, p)
					if err != nil {
						return err
					}
					changes = append(changes, qemuChanges...)
				}
				if len(changes) == 0 {
					p.Infof("  host already prepared: nothing changed")
				}
			}
			host.Detect(ctx).Print(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().BoolVar(&fix, "fix", false, "install and start what is missing (Debian, root)")
	cmd.Flags().BoolVar(&qemu, "qemu", false, "with --fix, also install the QEMU arm64 tools (qemu-system-arm, qemu-utils, qemu-user-static, binfmt-support, debootstrap)")
	return cmd
}
