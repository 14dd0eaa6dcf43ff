//go:build e2e

package e2e

import (
	"path/filepath"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/apps"
	"github.com/edgeproof/edgeproof/chaos/route"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/engine"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
)

// natsModule is the NATS server release examples/nats-edge runs; its image
// tag (in the scenario files) carries the same version.
const natsModule = "github.com/nats-io/nats-server/v2"

// A user's own application, certified the way a user would: a third-party
// Helm chart and an image from the local Docker engine, judged by probes
// on its Service. The correctly configured stack must pass, and its
// misconfigured variant must fail on the objectives the defect breaks:
// otherwise the probes could not tell a broken deployment from a sound one.
var _ = Describe("Example application nats-edge", Ordered, Label("example"), framework.WithSlow(), Serial, func() {
	dir := filepath.Join("..", "examples", "nats-edge")

	BeforeAll(func(ctx SpecContext) {
		sc, err := scenarios.Load(filepath.Join(dir, "pod-loss.yaml"))
		Expect(err).NotTo(HaveOccurred())
		tag := sc.Spec.Workload.Images[0].Name
		_, version, _ := strings.Cut(tag, ":")
		By("building " + tag + " from the Go module proxy and loading it into the local Docker engine")
		archive := filepath.Join(GinkgoT().TempDir(), "nats.tar")
		Expect(apps.BuildGoImage(ctx, apps.GoImage{Module: natsModule + "@v" + version, Tag: tag, Arch: runtime.GOARCH},
			archive, GinkgoWriter)).To(Succeed())
		_, err = command.New("docker", "load", "-i", archive).Output(ctx)
		Expect(err).NotTo(HaveOccurred(), "docker load")
	}, NodeTimeout(10*time.Minute))

	run := func(ctx SpecContext, file string) *engine.Result {
		Expect(framework.HealthGate(ctx, cluster, config)).To(Succeed())
		sc, err := scenarios.Load(file)
		Expect(err).NotTo(HaveOccurred())
		res, err := engine.Run(ctx, sc, file, engine.Options{Cluster: cluster, RepoRoot: repoRoot, Backend: route.ModeNative, Out: GinkgoWriter})
		if res != nil {
			framework.RecordScenario(res.Scenario)
		}
		Expect(err).NotTo(HaveOccurred(), "running %s", file)
		Expect(res.Leaks).To(BeEmpty(), "the run left faults behind")
		return res
	}

	// make test runs this scenario through the user's own suite
	// (examples/go-suite) instead.
	It("passes pod-loss when two servers back the Service", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "pod-loss.yaml"))
		Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
	}, NodeTimeout(5*time.Minute))

	It("passes rolling-update with the preStop drain", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "rolling-update.yaml"))
		Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
	}, NodeTimeout(5*time.Minute))

	It("passes power-loss: the lost node's server moves within seconds", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "power-loss.yaml"))
		Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
	}, NodeTimeout(6*time.Minute))

	// Deterministic, so make test runs it: the server cannot move within
	// the run under 300 s tolerations. (pod-loss-single-replica.yaml and
	// devices-pod-loss-single-replica.yaml are not run here: a replacement
	// can be Ready within 0.15 s, which no budget tells from a sound run;
	// see docs/applications.md.)
	It("catches the default 300 s tolerations: the server never moves", Label("example-fast"), func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "power-loss-default-tolerations.yaml"))
		expectCaught(res)
	}, NodeTimeout(6*time.Minute))

	It("passes devices-pod-loss: MQTT devices move to the surviving server", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "devices-pod-loss.yaml"))
		Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
	}, NodeTimeout(5*time.Minute))

	It("passes devices-observed: every acknowledged message reaches the sink subscribed on NATS", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "devices-observed.yaml"))
		Expect(res.Scenario.Verdicts).To(framework.MeetObjectives())
	}, NodeTimeout(5*time.Minute))

	It("catches telemetry diverted by a NATS subject mapping, though every publish is acknowledged", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "devices-observed-diverted.yaml"))
		expectCaught(res)
	}, NodeTimeout(5*time.Minute))

	// A broken release is an error named with its cause, in about a
	// minute rather than at the 5-minute deploy timeout.
	It("fails at once, quoting the server, when the chart is given an invalid configuration", func(ctx SpecContext) {
		Expect(framework.HealthGate(ctx, cluster, config)).To(Succeed())
		sc, err := scenarios.Load(filepath.Join(dir, "pod-loss.yaml"))
		Expect(err).NotTo(HaveOccurred())
		sc.Metadata.Name = "nats-broken-config"
		sc.Spec.Workload.Helm[0].Set = append(sc.Spec.Workload.Helm[0].Set, "jetstream.maxFileStore=not-a-size")
		start := time.Now()
		_, err = engine.Run(ctx, sc, filepath.Join(dir, "pod-loss.yaml"), engine.Options{Cluster: cluster, RepoRoot: repoRoot, Backend: route.ModeNative, Out: GinkgoWriter})
		AddReportEntry("broken release reported after", time.Since(start).Round(time.Second).String())
		Expect(err).To(MatchError(And(ContainSubstring("keeps crashing"), ContainSubstring("max_file_store"))))
		Expect(time.Since(start)).To(BeNumerically("<", 3*time.Minute))
	}, NodeTimeout(5*time.Minute))

	It("catches the rollout without the preStop drain", func(ctx SpecContext) {
		res := run(ctx, filepath.Join(dir, "rolling-update-no-drain.yaml"))
		expectCaught(res)
	}, NodeTimeout(5*time.Minute))
})

// expectCaught asks that a scenario declaring a defect (spec.defect) was
// caught by its objectives, which makes it pass.
func expectCaught(res *engine.Result) {
	GinkgoHelper()
	Expect(res.Scenario.Mutant).NotTo(BeNil(), "the scenario declares no defect")
	Expect(res.Scenario.Mutant.Caught).To(BeTrue(), "no objective it names caught the defect: %v", res.Scenario.Verdicts)
	Expect(res.Scenario.State).To(Equal(reports.StatePassed), "a caught declared defect passes")
}
