// Package sitecertify is how a team certifies its release from its own
// repository with Ginkgo: it reaches a cluster it already has, runs its
// scenario files through edgeproof's engine and turns each objective into
// an assertion. Only edgeproof's public packages are imported (clusters,
// clusters/kind, engine, scenarios, reports); see docs/applications.md.
package sitecertify

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/kind"
	"github.com/edgeproof/edgeproof/engine"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

func TestSite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "site certification")
}

var cluster *clusters.Cluster

var _ = BeforeSuite(func(ctx SpecContext) {
	name := os.Getenv("EDGEPROOF_CLUSTER")
	if name == "" {
		Skip("set EDGEPROOF_CLUSTER to the kind cluster to certify on (edgeproof cluster create)")
	}
	var err error
	cluster, err = kind.New(nil).Get(ctx, name)
	Expect(err).NotTo(HaveOccurred(), "cluster %s", name)
})

// The scenario files of this site; a real repository keeps its own.
var files = []string{"../nats-edge/pod-loss.yaml"}

var _ = Describe("site release", func() {
	for _, file := range files {
		sc, err := scenarios.Load(file)
		if err != nil {
			panic(err) // a broken scenario file must stop the suite before it starts
		}
		It(sc.Metadata.Name, func(ctx SpecContext) {
			res, err := engine.Run(ctx, sc, file, engine.Options{Cluster: cluster, Out: GinkgoWriter})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Leaks).To(BeEmpty(), "faults left behind")
			if res.Scenario.State == reports.StateSkipped {
				Skip(res.Scenario.SkipReason)
			}
			for _, v := range res.Scenario.Verdicts {
				Expect(v.Pass).To(BeTrue(), "%s", v.Line())
			}
			Expect(res.Passed()).To(BeTrue(), res.Scenario.Failure)
		}, NodeTimeout(10*time.Minute))
	}
})
