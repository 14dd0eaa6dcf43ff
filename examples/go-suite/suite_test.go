// Package sitecertify is how a team certifies its release from its own
// repository with Ginkgo: it reaches a cluster it already has, runs its
// scenario files through edgeproof's engine and turns each objective into
// an assertion. Only edgeproof's public packages are imported (clusters,
// clusters/existing, clusters/kind, engine, scenarios, reports); see
// docs/applications.md.
package sitecertify

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/existing"
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

// The cluster is the site's own, reached through a kubeconfig
// (E2E_KUBECONFIG, and E2E_CONTEXT for a context other than the current
// one), or a kind cluster edgeproof created (EDGEPROOF_CLUSTER). On the
// site's cluster, E2E_AGENT_IMAGE is the node agent's image, already on
// the nodes or pullable by them (`edgeproof image agent --ref` prints
// edgeproof's own), and E2E_FLEET an optional fleet file: the nodes' power
// hooks and the site's production marker.
var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	switch kubeconfig, name := os.Getenv("E2E_KUBECONFIG"), os.Getenv("EDGEPROOF_CLUSTER"); {
	case kubeconfig != "":
		var fleet *scenarios.Fleet
		if file := os.Getenv("E2E_FLEET"); file != "" {
			fleet, err = scenarios.LoadFleet(file)
			Expect(err).NotTo(HaveOccurred())
		}
		// Node faults go through edgeproof's node agent, installed for the
		// suite and removed after it.
		cluster, err = existing.Open(ctx, existing.Options{Kubeconfig: kubeconfig, Context: os.Getenv("E2E_CONTEXT"),
			AgentImage: os.Getenv("E2E_AGENT_IMAGE"), Fleet: fleet, Logf: func(format string, args ...any) {
				GinkgoWriter.Printf(format+"\n", args...)
			}})
		Expect(err).NotTo(HaveOccurred(), "cluster of %s", kubeconfig)
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.Release(ctx)).To(Succeed()) }, NodeTimeout(3*time.Minute))
	case name != "":
		cluster, err = kind.New(nil).Get(ctx, name)
		Expect(err).NotTo(HaveOccurred(), "cluster %s", name)
	default:
		Skip("set E2E_KUBECONFIG to the kubeconfig of the cluster to certify on, or EDGEPROOF_CLUSTER to a kind cluster edgeproof created")
	}
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
