package framework

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadConfigAndOverrides(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte("topology: topo.yaml\nintervals: {poll: 250ms}\nbudgets: {a: 20s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBudgets, "a=1ms")
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Topology != filepath.Join(dir, "topo.yaml") {
		t.Errorf("topology = %s", c.Topology)
	}
	if d, _ := c.Budget("a"); d != time.Millisecond {
		t.Errorf("budget a = %s, want the override 1ms", d)
	}
	if _, err := c.Interval("missing"); err == nil {
		t.Error("missing interval: want an error")
	}
	t.Setenv(EnvBudgets, "nope=1s")
	if _, err := LoadConfig(p); err == nil {
		t.Error("unknown budget override: want an error")
	}
	if err := os.WriteFile(p, []byte("budgets: {a: soon}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBudgets, "")
	if _, err := LoadConfig(p); err == nil {
		t.Error("bad duration: want an error")
	}
}

func TestSuiteConfigLoads(t *testing.T) {
	c, err := LoadConfig("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"workload-ready", "node-ready", "reschedule-wait", "service-converge", "poll"} {
		if _, err := c.Interval(n); err != nil {
			t.Error(err)
		}
	}
	if _, err := c.Budget("smoke-reschedule"); err != nil {
		t.Error(err)
	}
}

func TestProfileFromEnv(t *testing.T) {
	t.Setenv(EnvProfile, "")
	if p, err := ProfileFromEnv("../.."); p != nil || err != nil {
		t.Fatalf("unset: got %v, %v; want nil, nil", p, err)
	}
	t.Setenv(EnvProfile, "scenarios/profiles/certify.yaml") // from the repository root
	p, err := ProfileFromEnv("../..")
	if err != nil || p.Metadata.Name != "certify" {
		t.Fatalf("got %v, %v; want the certify profile", p, err)
	}
	t.Setenv(EnvProfile, "e2e/config.yaml")
	if _, err := ProfileFromEnv("../.."); err == nil {
		t.Error("a file that is not a profile: want an error")
	}
}
