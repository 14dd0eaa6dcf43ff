// Command edgeproof creates edge Kubernetes clusters, builds their node
// images offline, and runs chaos scenarios against them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/edgeproof/edgeproof/fixtures/bench"
)

func main() {
	// `bench devices` may re-execute this binary as its device simulator.
	bench.MaybeRunChild()
	// Ctrl-C cancels the context; commands clean up what they created
	// before returning.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "edgeproof:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "edgeproof",
		Short:         "Test harness and chaos framework for edge Kubernetes clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newDoctorCmd(), newNodeImageCmd(), newQEMUCmd(), newClusterCmd(), newReportCmd(), newCertifyCmd(), newScenarioCmd(), newFleetCmd(), newRecoverCmd(), newBenchCmd(), newRunCmd(), newImageCmd(), newAgentCmd())
	return root
}
