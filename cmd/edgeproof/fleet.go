package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/scenarios"
)

func newFleetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "fleet", Short: "Work with fleet files (power hooks and the production marker of a cluster given with --kubeconfig)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check fleet files; prints every error with file:line:column and field path",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, file := range args {
				if _, err := scenarios.LoadFleet(file); err != nil {
					fmt.Fprintln(cmd.OutOrStdout(), err)
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", file)
			}
			if bad > 0 {
				return errors.New("invalid fleet files")
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of fleet files, for editors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(scenarios.FleetSchema())
			return err
		},
	})
	return cmd
}
