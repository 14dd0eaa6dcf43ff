//go:build e2e

package e2e

import (
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/engine"
	"github.com/edgeproof/edgeproof/fixtures/mutants"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/scenarios"
)

// fastMutants run in `make test`: the quickest to catch (a stalled gateway
// on the one-minute smoke run; a do-nothing injector, failed at its first
// injection).
var fastMutants = map[string]bool{mutants.GatewayStopsAcking: true, mutants.InjectorNoop: true}

// mutantDrain bounds the drain of a mutant run: a stalled pipeline never
// drains, and waiting the default 3 minutes only delays the verdict.
const mutantDrain = time.Minute

// The mutation suite (`make e2e-mutants`): every planted defect is played
// against the catalog scenario that must catch it, on the suite's
// cluster, and the spec passes only if that scenario fails on an expected
// objective. The unmutated scenarios run beside them (label
// mutant-baseline), so a defect is only counted caught where the healthy
// workload passes.
var _ = Describe("Mutant", Label("mutants"), framework.WithSlow(), Serial, func() {
	root, err := repo.Root()
	if err != nil {
		panic(err)
	}
	for _, m := range mutants.All {
		file := filepath.Join(root, "scenarios", "catalog", m.Scenario+".yaml")
		sc, err := scenarios.Load(file)
		if err != nil {
			panic(err)
		}
		if _, err := engine.CheckMutant(m.Name, sc); err != nil {
			panic(err) // the registry and the catalog disagree: a bug
		}
		labels := []any{Label("mutant:" + m.Name)}
		if fastMutants[m.Name] {
			labels = append(labels, Label("mutants-fast"))
		}
		// Not the scenario's own labels: a mutant must never run in the
		// smoke or default sets.
		labels = append(labels, framework.WithProvider("kind"), Label("scenario:"+m.Scenario))
		It(m.Name+" is caught by "+m.Scenario, labels, func(ctx SpecContext) {
			By("health gate: every node Ready and nothing left by an earlier run")
			Expect(framework.HealthGate(ctx, cluster, config)).To(Succeed())
			res, err := engine.Run(ctx, sc, file, engine.Options{
				Cluster: cluster, RepoRoot: repoRoot, Backend: route.ModeAuto, Out: GinkgoWriter,
				Mutant: m.Name, DrainTimeout: mutantDrain,
			})
			if res != nil {
				framework.RecordScenario(res.Scenario)
			}
			Expect(err).NotTo(HaveOccurred(), "running %s against mutant %s", m.Scenario, m.Name)
			Expect(res.Leaks).To(BeEmpty(), "the run left faults behind")
			Expect(res.Scenario.Mutant).NotTo(BeNil())
			Expect(res.Scenario.Mutant.Caught).To(BeTrue(), "%s", res.Scenario.Failure)
		}, NodeTimeout(sc.Spec.Duration.Std()+20*time.Minute))
	}
})
