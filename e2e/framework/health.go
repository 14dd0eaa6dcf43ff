package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/reports"
)

// ScenarioEntry is the report entry holding a scenario run's report
// (file, fault events, series, verdicts).
const ScenarioEntry = "edgeproof-scenario"

// RecordScenario attaches an engine run's report to the running spec;
// BuildReport merges it into the spec's scenario.
func RecordScenario(s reports.Scenario) {
	ginkgo.AddReportEntry(ScenarioEntry, s, ginkgo.ReportEntryVisibilityNever)
}

// HealthGate makes sure a scenario starts on a healthy cluster: it heals
// whatever the journal says is still injected, waits for every node and
// system pod to be Ready (up to the node-ready interval) and fails when
// the leak check still finds something. A scenario that leaves the
// cluster broken thus fails the next gate instead of poisoning the next
// scenario's numbers.
func HealthGate(ctx context.Context, c *clusters.Cluster, cfg *Config) error {
	j, err := journal.Open(c.Name)
	if err != nil {
		return err
	}
	results, err := recovery.RecoverAll(ctx, c, j)
	j.Close()
	for _, r := range results {
		ginkgo.GinkgoWriter.Println("health gate healed:", r.String())
	}
	if err != nil {
		return fmt.Errorf("healing pending faults: %w", err)
	}
	wait, err := cfg.Interval("node-ready")
	if err != nil {
		return err
	}
	cs, err := c.Client()
	if err != nil {
		return err
	}
	if err := clusters.WaitReady(ctx, cs, wait); err != nil {
		return fmt.Errorf("cluster not healthy: %w", err)
	}
	left, err := leak.Check(ctx, c)
	if err != nil {
		return fmt.Errorf("leak check: %w", err)
	}
	if len(left) > 0 {
		return fmt.Errorf("left behind by an earlier run: %s", strings.Join(left, "; "))
	}
	return nil
}
