package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shardsOf splits the fixture's scenarios into n shard reports, shard i
// starting i minutes after the fixture's start.
func shardsOf(t *testing.T, n int) []*Report {
	t.Helper()
	var out []*Report
	for i := 1; i <= n; i++ {
		r, err := Load(filepath.Join("testdata"))
		if err != nil {
			t.Fatal(err)
		}
		r.Shard = &Shard{Index: i, Total: n, Plan: "plan-1", Specs: len(r.Scenarios)}
		r.Suite.Started = r.Suite.Started.Add(time.Duration(i) * time.Minute)
		r.Suite.Finished = r.Suite.Finished.Add(time.Duration(i) * time.Minute)
		var mine []Scenario
		for j, s := range r.Scenarios {
			if j%n == i-1 {
				mine = append(mine, s)
			}
		}
		r.Scenarios = mine
		out = append(out, r)
	}
	return out
}

func TestMergeJoinsEveryShard(t *testing.T) {
	parts := shardsOf(t, 3)
	whole, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// Given out of order: the merge orders by shard index.
	m, err := Merge([]*Report{parts[2], parts[0], parts[1]}, func(i int) string { return "shard-" + string(rune('0'+i)) })
	if err != nil {
		t.Fatal(err)
	}
	if m.Shard != nil || len(m.Environment.Shards) != 3 {
		t.Fatalf("merged report: shard %v, %d shard environments", m.Shard, len(m.Environment.Shards))
	}
	if len(m.Scenarios) != len(whole.Scenarios) || m.Totals() != whole.Totals() {
		t.Errorf("merged totals %+v, want the unsplit run's %+v", m.Totals(), whole.Totals())
	}
	if !m.Suite.Started.Equal(parts[0].Suite.Started) || !m.Suite.Finished.Equal(parts[2].Suite.Finished) {
		t.Errorf("merged span %s..%s, want first start to last finish", m.Suite.Started, m.Suite.Finished)
	}
	for _, s := range m.Scenarios {
		for _, a := range s.Artifacts {
			if !strings.HasPrefix(a.Path, "shard-") {
				t.Errorf("artifact %s not moved under its shard's folder", a.Path)
			}
		}
	}
	if err := ValidateJSON(mustJSON(t, m)); err != nil {
		t.Errorf("merged report does not match the schema: %v", err)
	}
}

func mustJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	b, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMergeRefusesAnIncompleteOrMixedSplit(t *testing.T) {
	dir := func(int) string { return "x" }
	cases := map[string]struct {
		parts func() []*Report
		want  string
	}{
		"missing shard":  {func() []*Report { p := shardsOf(t, 3); return p[:2] }, "shard 3/3 is missing"},
		"repeated shard": {func() []*Report { p := shardsOf(t, 3); return []*Report{p[0], p[1], p[1], p[2]} }, "shard 2/3 appears 2 times"},
		"other split": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Shard.Total = 3
			return p
		}, "does not belong to a split into 2"},
		"not a shard": {func() []*Report { p := shardsOf(t, 2); p[1].Shard = nil; return p }, "is not a shard"},
		"other commit": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Environment.EdgeproofCommit = "0123456"
			return p
		}, "shard 2 v0.4.0 0123456"},
		"other scenario files": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Environment.ScenarioFiles = nil
			return p
		}, "different scenario or profile files"},
		"overlapping shards": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Scenarios = append(p[1].Scenarios, p[0].Scenarios[0])
			return p
		}, "ran in shard 1 and shard 2"},
		"nothing": {func() []*Report { return nil }, "no shard reports"},
		"other split plan": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Shard.Plan = "plan-2"
			return p
		}, "split different sets of specs"},
		"a shard's report incomplete": {func() []*Report {
			p := shardsOf(t, 2)
			p[1].Scenarios = nil
			return p
		}, "their split covers 3 specs"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Merge(c.parts(), dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Merge = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidateChecksShards(t *testing.T) {
	r, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	r.Shard = &Shard{Index: 4, Total: 3}
	r.Environment.Shards = []ShardEnvironment{{Index: 1, Total: 2}}
	err = r.Validate()
	if err == nil || !strings.Contains(err.Error(), "shard 4/3") || !strings.Contains(err.Error(), "shard 2/2 is missing") {
		t.Fatalf("Validate = %v, want the bad shard and the missing one named", err)
	}
}

func TestMergeDirs(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i, r := range shardsOf(t, 2) {
		d := filepath.Join(root, "shard"+string(rune('a'+i)))
		if err := WriteAll(r, d); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "failures.txt"), []byte("none\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	out := filepath.Join(root, "merged")
	if _, err := MergeDirs(out, dirs[:1]); err == nil || !strings.Contains(err.Error(), "shard 2/2 is missing") {
		t.Fatalf("merging one of two shards = %v, want shard 2/2 named missing", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed merge left %s behind", out)
	}
	m, err := MergeDirs(out, dirs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Environment.Shards) != 2 || len(got.Scenarios) != len(m.Scenarios) {
		t.Errorf("merged report.json: %d shards, %d scenarios", len(got.Environment.Shards), len(got.Scenarios))
	}
	for _, f := range []string{SummaryFile, HTMLFile, JUnitFile, "shard-1/failures.txt", "shard-2/failures.txt"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("merged directory lacks %s: %v", f, err)
		}
	}
	if _, err := MergeDirs(out, dirs); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("merging over an existing directory = %v, want a refusal", err)
	}
}
