package framework

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/internal/shard"
	"github.com/edgeproof/edgeproof/reports"
)

func previewOf(specs ...types.SpecReport) types.Report {
	return types.Report{SpecReports: specs}
}

func spec(containers []string, leaf string, ordered bool, state types.SpecState) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: containers, LeafNodeText: leaf,
		IsInOrderedContainer: ordered, State: state}
}

func TestShardSkipsSplitTheSelectedSpecsOnce(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "e2e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := (shard.Durations{"Catalog scenario a": 400, "Catalog scenario b": 100}).Write(filepath.Join(root, DurationsFile)); err != nil {
		t.Fatal(err)
	}
	preview := previewOf(
		spec([]string{"Smoke"}, "one", true, types.SpecStatePassed),
		spec([]string{"Smoke"}, "two (x)", true, types.SpecStatePassed),
		spec([]string{"Catalog scenario"}, "a", false, types.SpecStatePassed),
		spec([]string{"Catalog scenario"}, "b", false, types.SpecStatePassed),
		spec([]string{"Catalog scenario"}, "c", false, types.SpecStatePassed),
		spec([]string{"Catalog scenario"}, "filtered", false, types.SpecStateSkipped),
	)
	if units := ShardUnits(preview); len(units) != 4 || len(units[0].Specs) != 2 {
		t.Fatalf("units %v: want the ordered container as one unit of two specs, and three others", units)
	}
	runs := map[string]int{}
	plans := map[string]bool{}
	for i := 1; i <= 3; i++ {
		var log bytes.Buffer
		p, err := PlanShard(shard.Shard{Index: i, Total: 3}, root, preview, &log)
		if err != nil {
			t.Fatal(err)
		}
		plans[p.Plan] = true
		if p.Specs != 5 {
			t.Errorf("shard %d: plan covers %d specs, want 5", i, p.Specs)
		}
		skips := p.Skips("suite")
		re := regexp.MustCompile(strings.Join(skips, "|"))
		for _, s := range preview.SpecReports[:5] {
			if len(skips) == 0 || !re.MatchString("suite "+s.FullText()) {
				runs[s.FullText()]++
			}
		}
		if !strings.HasPrefix(log.String(), "shard "+shard.Shard{Index: i, Total: 3}.String()) {
			t.Errorf("shard %d printed %q", i, log.String())
		}
	}
	if len(plans) != 1 {
		t.Errorf("the shards computed %d different plans, want one", len(plans))
	}
	for _, s := range preview.SpecReports[:5] {
		if runs[s.FullText()] != 1 {
			t.Errorf("%q runs in %d shards, want 1", s.FullText(), runs[s.FullText()])
		}
	}
	if runs["Smoke two (x)"] != 1 {
		t.Error("a spec text with regexp characters was not matched literally")
	}
	// The 400 s spec is a shard of its own.
	var log bytes.Buffer
	p, err := PlanShard(shard.Shard{Index: 1, Total: 3}, root, preview, &log)
	if err != nil || !strings.Contains(log.String(), "1 of 4 units, about 400 s") {
		t.Fatalf("shard 1: %q, %v; want the longest spec alone", log.String(), err)
	}
	// A suite cut short reports the other shards' specs as skipped too;
	// Keep drops them and records the plan.
	rep := &reports.Report{}
	for _, s := range preview.SpecReports[:5] {
		rep.Scenarios = append(rep.Scenarios, reports.Scenario{Name: s.FullText(), State: reports.StateSkipped})
	}
	p.Keep(rep, shard.Shard{Index: 1, Total: 3})
	if len(rep.Scenarios) != 1 || rep.Scenarios[0].Name != "Catalog scenario a" || rep.Shard.Plan != p.Plan || rep.Shard.Specs != 5 {
		t.Errorf("Keep left %v, shard %+v", rep.Scenarios, rep.Shard)
	}
}

func TestShardFromEnv(t *testing.T) {
	t.Setenv(EnvShard, "")
	if s, err := ShardFromEnv(); s != nil || err != nil {
		t.Fatalf("unset: %v, %v", s, err)
	}
	t.Setenv(EnvShard, "3/2")
	if _, err := ShardFromEnv(); err == nil || !strings.Contains(err.Error(), EnvShard) {
		t.Fatalf("3/2: %v, want an error naming %s", err, EnvShard)
	}
}

func TestCheckedInDurationsLoad(t *testing.T) {
	d, err := shard.LoadDurations(filepath.Join("..", "durations.yaml"))
	if err != nil || len(d) == 0 {
		t.Fatalf("e2e/durations.yaml: %v (%d entries)", err, len(d))
	}
}
