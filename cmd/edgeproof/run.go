package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/engine"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/reports/fingerprint"
	"github.com/edgeproof/edgeproof/scenarios"
)

func newRunCmd() *cobra.Command {
	var (
		name, backend, artifacts, mutant string
		keep                             bool
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run one scenario end to end on a cluster: deploy, steady state, faults, heal, judge, tear down",
		Long: `Run one scenario file on an existing cluster without Ginkgo, printing a live
timeline and, at the end, a verdict per objective. Ctrl-C heals every
injected fault and tears the workload down before exiting; if the process
is killed instead, ` + "`edgeproof recover --cluster NAME`" + ` heals from the journal.
With --artifacts, report.json, junit.xml, summary.md and index.html are
written there. With --mutant, the run plays against a planted defect and
passes only when the scenario catches it. Exit status: 0 passed, 1 failed
or error, 2 skipped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode, err := route.ParseMode(backend)
			if err != nil {
				return err
			}
			sc, err := scenarios.Load(args[0])
			if err != nil {
				return err
			}
			if mutant != "" {
				if _, err := engine.CheckMutant(mutant, sc); err != nil {
					return fmt.Errorf("--mutant: %w", err)
				}
			}
			if name == "" {
				return fmt.Errorf("--cluster (or $%s) is required", EnvCluster)
			}
			root, err := repo.Root()
			if err != nil {
				return err
			}
			p := progress.New(cmd.ErrOrStderr())
			ctx := cmd.Context()
			c, err := kindProvider(p).Get(ctx, name)
			if err != nil {
				return err
			}
			started := time.Now()
			res, err := engine.Run(ctx, sc, args[0], engine.Options{Cluster: c, RepoRoot: root, Backend: mode,
				Out: cmd.OutOrStdout(), Keep: keep, Mutant: mutant})
			if artifacts != "" && res != nil {
				rep := &reports.Report{SchemaVersion: reports.SchemaVersion,
					Suite:       reports.Suite{Name: "edgeproof run " + sc.Metadata.Name, Started: started, Finished: time.Now(), Duration: reports.Duration(time.Since(started))},
					Environment: fingerprint.Of(context.WithoutCancel(ctx), c),
					Scenarios:   []reports.Scenario{res.Scenario}}
				if hashes, herr := fingerprint.HashFiles(root, args[0]); herr == nil {
					rep.Environment.ScenarioFiles = hashes
				}
				if werr := reports.WriteAll(rep, artifacts); werr != nil {
					p.Infof("writing reports: %v", werr)
				} else {
					p.Infof("reports in %s", artifacts)
				}
			}
			if err != nil {
				return err
			}
			switch res.Scenario.State {
			case reports.StateSkipped:
				fmt.Fprintln(cmd.ErrOrStderr(), "edgeproof: skipped:", res.Scenario.SkipReason)
				os.Exit(2)
			case reports.StateFailed:
				return fmt.Errorf("scenario %s failed: %s", sc.Metadata.Name, res.Scenario.Failure)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "cluster", os.Getenv(EnvCluster), "cluster to run on ($"+EnvCluster+")")
	cmd.Flags().StringVar(&backend, "chaos-backend", "auto", "who injects pod faults: auto, native or chaos-mesh")
	cmd.Flags().StringVar(&artifacts, "artifacts", "", "directory for report.json, junit.xml, summary.md and index.html")
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the workload deployed after the run (faults are still healed)")
	cmd.Flags().StringVar(&mutant, "mutant", "", "play the scenario against a planted defect of the mutation suite; the run passes only if the defect is caught (see fixtures/mutants)")
	return cmd
}
