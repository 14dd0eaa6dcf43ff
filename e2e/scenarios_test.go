//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/engine"
	"github.com/edgeproof/edgeproof/fixtures/mutants"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

// defaultSet are the catalog scenarios `make e2e` runs; the rest are
// labelled slow and run nightly and for certification. Together these four
// take about a quarter of an hour on a 2-core host.
var defaultSet = map[string]bool{
	"smoke": true, "node-power-loss": true, "kubelet-crash": true, "uplink-cut": true,
}

// Every catalog scenario is one spec: the engine runs it on the suite's
// cluster and the spec asserts its objectives. A health gate before each
// one makes sure a scenario never starts on a cluster the previous one
// broke.
var _ = Describe("Catalog scenario", func() {
	root, err := repo.Root()
	if err != nil {
		panic(err) // tree construction: no spec can run without the checkout
	}
	// A certification run judges every spec by $E2E_PROFILE; an invalid
	// profile fails each spec rather than running it with the wrong budgets.
	profile, profileErr := framework.ProfileFromEnv(root)
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "catalog", "*.yaml"))
	if err != nil || len(files) == 0 {
		panic("no catalog scenarios under scenarios/catalog")
	}
	for _, file := range files {
		sc, err := scenarios.Load(file)
		if err != nil {
			panic(err) // `make vet` validates the catalog; a bad file is a bug
		}
		labels := scenarioLabels(sc)
		if profile != nil {
			labels = append(labels, framework.WithProfile(profile.Metadata.Name))
		}
		It(sc.Metadata.Name, labels, func(ctx SpecContext) {
			Expect(profileErr).NotTo(HaveOccurred(), "loading the budget profile")
			By("health gate: every node Ready and nothing left by an earlier run")
			Expect(framework.HealthGate(ctx, cluster, config)).To(Succeed())

			res, err := engine.Run(ctx, sc, file, engine.Options{
				Cluster: cluster, RepoRoot: repoRoot, Backend: route.ModeAuto, Out: GinkgoWriter, Profile: profile,
				OnFailure: func(ctx context.Context, ns string) {
					dir, err := framework.SpecDir(artifacts, CurrentSpecReport().FullText())
					if err == nil {
						err = framework.CollectFailureArtifacts(ctx, cluster, dir, ns)
						AddReportEntry(framework.ArtifactEntry, dir)
					}
					if err != nil {
						GinkgoWriter.Printf("collecting artifacts: %v\n", err)
					}
				},
			})
			if res != nil {
				framework.RecordScenario(res.Scenario)
			}
			Expect(err).NotTo(HaveOccurred(), "running scenario %s", sc.Metadata.Name)
			if res.Scenario.State == reports.StateSkipped {
				Skip(res.Scenario.SkipReason)
			}
			Expect(res.Leaks).To(BeEmpty(), "the run left faults behind")
			Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
		}, NodeTimeout(sc.Spec.Duration.Std()+20*time.Minute))
	}
})

// scenarioLabels turns a scenario into spec labels: smoke for the smoke
// tier, disruptive (and Serial) when it breaks nodes or networks, slow
// outside the default set, and one label per fault kind.
func scenarioLabels(sc *scenarios.Scenario) []any {
	var out []any
	if sc.Metadata.Labels["tier"] == "smoke" {
		out = append(out, framework.WithSmoke())
	}
	if sc.Disruptive() {
		out = append(out, framework.WithDisruptive()...)
	} else {
		out = append(out, Serial) // one workload at a time on 2 cores
	}
	if !defaultSet[sc.Metadata.Name] {
		out = append(out, framework.WithSlow())
	}
	var kinds []string
	for _, k := range sc.FaultKinds() {
		kinds = append(kinds, string(k))
	}
	if len(kinds) > 0 {
		out = append(out, framework.WithFault(kinds...))
	}
	p := "kind"
	req := sc.Requirements()
	if req.Provider == scenarios.ProviderQEMU || req.Arch == scenarios.ArchARM64 {
		// Only the arm64 topology has the nodes (make e2e-qemu).
		p = "qemu"
		out = append(out, Label("qemu"))
	}
	if req.Arch != "" {
		out = append(out, framework.WithArch(string(req.Arch)))
	}
	out = append(out, framework.WithProvider(p), Label("scenario:"+strings.ToLower(sc.Metadata.Name)))
	for _, m := range mutants.All {
		if m.Scenario == sc.Metadata.Name {
			// The healthy baseline of a mutant (make e2e-mutants).
			out = append(out, Label("mutant-baseline"))
			break
		}
	}
	return out
}
