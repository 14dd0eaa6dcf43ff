package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
		backend, artifacts, mutant string
		keep, dryRun               bool
		t                          target
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run one scenario end to end on a cluster: deploy, steady state, faults, heal, judge, tear down",
		Long: `Run one scenario file on a cluster without Ginkgo, printing a live
timeline and, at the end, a verdict per objective. Ctrl-C heals every
injected fault and tears the workload down before exiting; if the process
is killed instead, ` + "`edgeproof recover`" + ` (same cluster flags) heals from the
journal. --cluster names a cluster edgeproof created; --kubeconfig (and
--context) one it did not, reached only through its API server: node
operations go through a node agent DaemonSet installed for the run and
removed after it, and faults the agent cannot heal are skipped with the
reason.
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
			p := progress.New(cmd.ErrOrStderr())
			ctx := cmd.Context()
			if dryRun {
				return dryRunCmd(ctx, p, &t, sc, cmd.OutOrStdout())
			}
			root, err := repo.Root()
			if err != nil {
				return err
			}
			c, err := t.open(ctx, p)
			if err != nil {
				return err
			}
			release := func() {
				if rerr := c.Release(context.WithoutCancel(ctx)); rerr != nil {
					p.Infof("warning: %v", rerr)
				}
			}
			defer release()
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
				release()
				os.Exit(2)
			case reports.StateFailed:
				return fmt.Errorf("scenario %s failed: %s", sc.Metadata.Name, res.Scenario.Failure)
			}
			return nil
		},
	}
	t.flags(cmd, "run on")
	cmd.Flags().StringVar(&backend, "chaos-backend", "auto", "who injects pod faults: auto, native or chaos-mesh")
	cmd.Flags().StringVar(&artifacts, "artifacts", "", "directory for report.json, junit.xml, summary.md and index.html")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (nodes, what is deployed, each fault's candidate nodes, how it heals, whether it would be skipped or refused) and change nothing; exit 2 if the run would skip")
	cmd.Flags().BoolVar(&keep, "keep", false, "leave the workload deployed after the run (faults are still healed)")
	cmd.Flags().StringVar(&mutant, "mutant", "", "play the scenario against a planted defect of the mutation suite; the run passes only if the defect is caught (see fixtures/mutants)")
	return cmd
}

// dryRunCmd prints the run's plan; it installs nothing, not even the node
// agent.
func dryRunCmd(ctx context.Context, p *progress.Printer, t *target, sc *scenarios.Scenario, out io.Writer) error {
	t.noAgent = true
	c, err := t.open(ctx, p)
	if err != nil {
		return err
	}
	err = engine.DryRun(ctx, sc, engine.Options{Cluster: c, Out: out})
	if errors.Is(err, engine.ErrDryRunSkip) {
		fmt.Fprintln(os.Stderr, "edgeproof:", err)
		os.Exit(2)
	}
	return err
}
