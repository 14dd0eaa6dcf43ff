// Package framework is the Ginkgo glue of edgeproof's e2e suites: config,
// labels, the shared cluster, artifacts and small helpers. Only e2e/ may
// import Ginkgo and Gomega; everything below it returns errors.
package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/edgeproof/edgeproof/scenarios"
)

// Config is e2e/config.yaml.
type Config struct {
	// Topology file of the cluster the suite creates.
	Topology string `json:"topology"`
	// Intervals are named waits.
	Intervals map[string]Duration `json:"intervals"`
	// Budgets are named objectives' limits.
	Budgets map[string]Duration `json:"budgets"`
}

// Duration is a time.Duration written as "30s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return fmt.Errorf("duration %s: want a string like \"30s\"", b)
	}
	v, err := time.ParseDuration(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// LoadConfig reads the suite config strictly.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading e2e config: %w", err)
	}
	var c Config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.applyBudgetOverrides(os.Getenv(EnvBudgets)); err != nil {
		return nil, err
	}
	if c.Topology != "" && !filepath.IsAbs(c.Topology) {
		c.Topology = filepath.Join(filepath.Dir(path), c.Topology)
	}
	// An override is relative to where the run started (make's directory).
	if t := os.Getenv(EnvTopology); t != "" {
		abs, err := filepath.Abs(t)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", EnvTopology, err)
		}
		c.Topology = abs
	}
	return &c, nil
}

// Interval returns a named interval; a missing name is a config error,
// reported rather than replaced by a guess.
func (c *Config) Interval(name string) (time.Duration, error) {
	d, ok := c.Intervals[name]
	if !ok {
		return 0, fmt.Errorf("e2e config has no interval %q", name)
	}
	return d.Duration, nil
}

// Budget returns a named budget.
func (c *Config) Budget(name string) (time.Duration, error) {
	d, ok := c.Budgets[name]
	if !ok {
		return 0, fmt.Errorf("e2e config has no budget %q", name)
	}
	return d.Duration, nil
}

// Env names the suite reads.
const (
	// EnvCluster reuses an existing cluster; the suite never deletes it.
	EnvCluster = "EDGEPROOF_CLUSTER"
	// EnvClusterName names the cluster the suite creates.
	EnvClusterName = "E2E_CLUSTER_NAME"
	// EnvKeep keeps a created cluster after the suite ("1").
	EnvKeep = "E2E_KEEP_CLUSTER"
	// EnvTopology replaces the config's topology file (e.g. the arm64
	// one of make e2e-qemu).
	EnvTopology = "E2E_TOPOLOGY"
	// EnvNodeImage uses a given node image instead of building one.
	EnvNodeImage = "E2E_NODE_IMAGE"
	// EnvBudgets overrides budgets: "name=20s,other=1m" (stricter
	// certification runs, and the cleanup test's forced failure).
	EnvBudgets = "E2E_BUDGETS"
	// EnvArtifacts is where reports and failure dumps go.
	EnvArtifacts = "ARTIFACTS"
	// EnvProfile is a budget profile file the catalog specs are judged by
	// (`make certify`); relative paths are from the repository root.
	EnvProfile = "E2E_PROFILE"
	// EnvShard runs one shard of the selected specs: "i/N" (make certify
	// SHARD=i/N); the split is balanced by e2e/durations.yaml.
	EnvShard = "E2E_SHARD"
)

// ProfilePath is the absolute path of the profile $E2E_PROFILE names, or
// "" when it is unset.
func ProfilePath(repoRoot string) string {
	path := os.Getenv(EnvProfile)
	if path != "" && !filepath.IsAbs(path) {
		path = filepath.Join(repoRoot, path)
	}
	return path
}

// ProfileFromEnv loads the budget profile $E2E_PROFILE names, or returns
// nil when it is unset.
func ProfileFromEnv(repoRoot string) (*scenarios.Profile, error) {
	path := ProfilePath(repoRoot)
	if path == "" {
		return nil, nil
	}
	p, err := scenarios.LoadProfile(path)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", EnvProfile, err)
	}
	return p, nil
}

// ArtifactsDir returns $ARTIFACTS, defaulting to _artifacts at the
// repository root, and creates it.
func ArtifactsDir(repoRoot string) (string, error) {
	dir := os.Getenv(EnvArtifacts)
	if dir == "" {
		dir = filepath.Join(repoRoot, "_artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating artifacts dir: %w", err)
	}
	return dir, nil
}

func (c *Config) applyBudgetOverrides(spec string) error {
	if strings.TrimSpace(spec) == "" {
		return nil
	}
	if c.Budgets == nil {
		c.Budgets = map[string]Duration{}
	}
	for _, kv := range strings.Split(spec, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		d, err := time.ParseDuration(val)
		if !ok || err != nil {
			return fmt.Errorf("$%s: %q is not name=duration", EnvBudgets, kv)
		}
		if _, known := c.Budgets[name]; !known {
			return fmt.Errorf("$%s: unknown budget %q", EnvBudgets, name)
		}
		c.Budgets[name] = Duration{d}
	}
	return nil
}
