package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/progress"
)

func newRecoverCmd() *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Heal every fault a crashed or killed run left on a cluster (from its journal), remove its workload namespaces, then check for leftovers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := progress.New(cmd.ErrOrStderr())
			// Healing must finish even if the user presses Ctrl-C again.
			ctx := context.WithoutCancel(cmd.Context())
			c, err := t.open(ctx, p)
			if err != nil {
				return err
			}
			defer func() {
				if rerr := c.Release(ctx); rerr != nil {
					p.Infof("warning: %v", rerr)
				}
			}()
			name := c.Name
			j, err := journal.Open(name, journal.WithWarnf(func(f string, a ...any) { p.Infof("warning: "+f, a...) }))
			if err != nil {
				return err
			}
			defer j.Close()
			results, err := recovery.RecoverAll(ctx, c, j)
			for _, r := range results {
				fmt.Fprintln(cmd.OutOrStdout(), r.String())
			}
			if err != nil {
				return err
			}
			if len(results) == 0 {
				p.Infof("journal of %q has no pending faults", name)
			}
			// A killed run also leaves its workload namespace (and the
			// proxy toxics living in its pods).
			kc, err := c.Klient()
			if err != nil {
				return err
			}
			wls, err := workload.Leftovers(ctx, kc)
			if err != nil {
				return err
			}
			for _, w := range wls {
				if err := w.Teardown(ctx, c.RemoveDir); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "removed workload namespace", w.Spec.Namespace)
			}
			left, err := leak.Check(ctx, c)
			if err != nil {
				return err
			}
			for _, l := range left {
				fmt.Fprintln(cmd.OutOrStdout(), "leftover:", l)
			}
			if len(left) > 0 {
				return fmt.Errorf("%d leftovers remain on %q", len(left), name)
			}
			p.Infof("cluster %q: nothing left behind", name)
			return nil
		},
	}
	t.flags(cmd, "heal")
	// Healing never breaks anything, so a production marker does not stop
	// it.
	t.production = true
	return cmd
}
