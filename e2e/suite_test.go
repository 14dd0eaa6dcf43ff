//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/e2e/framework"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
	"github.com/edgeproof/edgeproof/internal/shard"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/reports/fingerprint"
)

// Suite-wide state, set in SynchronizedBeforeSuite on every process.
var (
	config    *framework.Config
	repoRoot  string
	artifacts string
	handle    framework.ClusterHandle
	cluster   *clusters.Cluster
	printer   = progress.New(GinkgoWriter)
	// environment is fingerprinted while the cluster exists; reports are
	// written after it is deleted.
	environment = reports.Environment{EdgeproofVersion: "dev"}
)

// suiteName is the suite's description; Ginkgo's skip patterns match it.
const suiteName = "edgeproof e2e"

// runShard is the shard this process runs ($E2E_SHARD), nil for all, and
// shardPlan its part of the split.
var (
	runShard  *shard.Shard
	shardPlan *framework.ShardPlan
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	var err error
	if runShard, err = framework.ShardFromEnv(); err != nil {
		t.Fatal(err)
	}
	if runShard != nil {
		// Every shard previews the same filtered set and splits it the
		// same way, so together the shards run each spec once.
		root, err := repo.Root()
		if err != nil {
			t.Fatal(err)
		}
		if shardPlan, err = framework.PlanShard(*runShard, root, PreviewSpecs(suiteName), os.Stderr); err != nil {
			t.Fatal(err)
		}
		suiteConfig.SkipStrings = append(suiteConfig.SkipStrings, shardPlan.Skips(suiteName)...)
		// A shard whose part is empty runs no setup; its report must still
		// say what built it, or the merge cannot match it to the others.
		if environment, err = baseEnvironment(root); err != nil {
			t.Fatal(err)
		}
	}
	RunSpecs(t, suiteName, suiteConfig, reporterConfig)
}

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	// Progress of a cold cluster start goes to the terminal as it happens.
	p := progress.New(os.Stderr)
	root, err := repo.Root()
	Expect(err).NotTo(HaveOccurred(), "locating the checkout")
	cfg, err := framework.LoadConfig(filepath.Join(root, "e2e", "config.yaml"))
	Expect(err).NotTo(HaveOccurred())
	// Registered before creation: Ctrl-C during creation still deletes
	// whatever exists by then.
	name := os.Getenv(framework.EnvClusterName)
	if name == "" {
		name = framework.DefaultClusterName
	}
	reused := os.Getenv(framework.EnvCluster) != ""
	DeferCleanup(func(ctx context.Context) {
		if !reused {
			Expect(framework.TeardownCluster(context.WithoutCancel(ctx), p, framework.ClusterHandle{Name: name})).To(Succeed())
		}
	})
	c, err := framework.SetupCluster(ctx, framework.SetupClusterInput{Config: cfg, RepoRoot: root, Printer: p})
	Expect(err).NotTo(HaveOccurred(), "cluster setup")
	return framework.ClusterHandle{Name: c.Name, Kubeconfig: c.Kubeconfig, Reused: c.Reused}.Marshal()
}, func(data []byte) {
	var err error
	handle, err = framework.UnmarshalHandle(data)
	Expect(err).NotTo(HaveOccurred())
	repoRoot, err = repo.Root()
	Expect(err).NotTo(HaveOccurred())
	config, err = framework.LoadConfig(filepath.Join(repoRoot, "e2e", "config.yaml"))
	Expect(err).NotTo(HaveOccurred())
	artifacts, err = framework.ArtifactsDir(repoRoot)
	Expect(err).NotTo(HaveOccurred())
	cluster, err = framework.Provider(printer).Get(context.Background(), handle.Name)
	Expect(err).NotTo(HaveOccurred())
	environment = framework.Environment(context.Background(), cluster)
	environment.ScenarioFiles, err = scenarioFiles(repoRoot)
	Expect(err).NotTo(HaveOccurred(), "hashing the scenario files")
}, NodeTimeout(30*time.Minute))

// baseEnvironment is what can be fingerprinted without a cluster: the
// build, the host and the scenario files.
func baseEnvironment(root string) (reports.Environment, error) {
	env := fingerprint.Of(context.Background(), nil)
	var err error
	env.ScenarioFiles, err = scenarioFiles(root)
	return env, err
}

// scenarioFiles hashes the catalog files the specs load and the budget
// profile that judges them, so a report names exactly what ran (and shards
// judged by other files do not merge).
func scenarioFiles(root string) ([]reports.FileHash, error) {
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "catalog", "*.yaml"))
	if err != nil {
		return nil, err
	}
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "*.yaml"))
	if err != nil {
		return nil, err
	}
	files = append(files, examples...)
	if p := framework.ProfilePath(root); p != "" {
		files = append(files, p)
	}
	return fingerprint.HashFiles(root, files...)
}

var _ = ReportAfterSuite("reports", func(r Report) {
	if r.SuiteConfig.DryRun {
		return // a preview (sharding) or -ginkgo.dry-run ran nothing: no report
	}
	root, err := repo.Root()
	Expect(err).NotTo(HaveOccurred())
	dir, err := framework.ArtifactsDir(root)
	Expect(err).NotTo(HaveOccurred())
	rep := framework.BuildReport(r, environment, dir)
	if runShard != nil {
		shardPlan.Keep(rep, *runShard)
	}
	Expect(reports.WriteAll(rep, dir)).To(Succeed(), "writing junit.xml, report.json, summary.md and index.html")
	Expect(framework.WriteFailures(dir, r, rep)).To(Succeed())
	framework.PrintVerdicts(os.Stdout, rep, dir)
})
