package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/scenarios"
)

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scenario", Short: "Work with scenario files"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files; prints every error with file:line:column and field path",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !scenarios.ValidateFiles(cmd.OutOrStdout(), args) {
				return errors.New("invalid scenario files")
			}
			return nil
		},
	})
	return cmd
}
