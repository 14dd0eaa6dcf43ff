package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/edgeproof/edgeproof/internal/shard"
)

// ShardSet checks that shards are a complete split: one total for all, and
// every index from 1 to it exactly once. An empty set is not a split and
// passes.
func ShardSet(shards []ShardEnvironment) error {
	if len(shards) == 0 {
		return nil
	}
	total := shards[0].Total
	count := map[int]int{}
	var errs []string
	for _, s := range shards {
		if s.Total != total {
			errs = append(errs, fmt.Sprintf("shard %d/%d does not belong to a split into %d", s.Index, s.Total, total))
			continue
		}
		count[s.Index]++
	}
	for i := 1; i <= total; i++ {
		switch count[i] {
		case 0:
			errs = append(errs, fmt.Sprintf("shard %d/%d is missing", i, total))
		case 1:
		default:
			errs = append(errs, fmt.Sprintf("shard %d/%d appears %d times", i, total, count[i]))
		}
	}
	for i := range count {
		if i < 1 || i > total {
			errs = append(errs, fmt.Sprintf("shard %d/%d is out of range", i, total))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// Merge joins the reports of every shard of one run into one report: the
// scenarios of all shards in shard order, the run's span from the first
// start to the last finish, shard 1's environment with every shard's in
// Environment.Shards. It refuses parts that are not shards, a missing or
// repeated shard, shards built from other edgeproof commits or scenario
// files, and a scenario run by two shards. Artifact paths are prefixed
// with artifactDir(index), where the caller copies each shard's files.
func Merge(parts []*Report, artifactDir func(index int) string) (*Report, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no shard reports given")
	}
	for i, p := range parts {
		if p.Shard == nil {
			return nil, fmt.Errorf("merge: report %d (suite started %s) is not a shard: run it with SHARD=i/N", i+1, p.Suite.Started.Format("2006-01-02 15:04:05"))
		}
	}
	ordered := slices.Clone(parts)
	sort.Slice(ordered, func(a, b int) bool { return ordered[a].Shard.Index < ordered[b].Shard.Index })
	first := ordered[0]
	var shards []ShardEnvironment
	for _, p := range ordered {
		if p.Shard.Plan != first.Shard.Plan || p.Shard.Specs != first.Shard.Specs {
			return nil, fmt.Errorf("merge: shard %s and shard %s split different sets of specs (other filters, spec names or durations file): run every shard from the same checkout and make target",
				first.Shard.part(), p.Shard.part())
		}
		shards = append(shards, ShardEnvironment{Index: p.Shard.Index, Total: p.Shard.Total, Suite: p.Suite, Environment: p.Environment})
	}
	if err := ShardSet(shards); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}

	out := &Report{SchemaVersion: SchemaVersion, Suite: first.Suite, Environment: first.Environment}
	out.Environment.Shards = shards
	by := map[string]int{}
	for _, p := range ordered {
		if err := sameBuild(first, p); err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if p.Suite.Started.Before(out.Suite.Started) {
			out.Suite.Started = p.Suite.Started
		}
		if p.Suite.Finished.After(out.Suite.Finished) {
			out.Suite.Finished = p.Suite.Finished
		}
		for _, s := range p.Scenarios {
			if other, dup := by[s.Name]; dup {
				return nil, fmt.Errorf("merge: scenario %q ran in shard %d and shard %d: the shards did not split the same set", s.Name, other, p.Shard.Index)
			}
			by[s.Name] = p.Shard.Index
			s.Artifacts = slices.Clone(s.Artifacts)
			for i := range s.Artifacts {
				s.Artifacts[i].Path = artifactDir(p.Shard.Index) + "/" + s.Artifacts[i].Path
			}
			out.Scenarios = append(out.Scenarios, s)
		}
	}
	if want := first.Shard.Specs; want > 0 && len(out.Scenarios) != want {
		return nil, fmt.Errorf("merge: the shards hold %d scenarios, but their split covers %d specs: a shard's report is incomplete", len(out.Scenarios), want)
	}
	out.Suite.Duration = Duration(out.Suite.Finished.Sub(out.Suite.Started))
	return out, out.Validate()
}

// sameBuild refuses to join shards that ran different code or scenarios:
// the merged verdict would certify a mix.
func sameBuild(a, b *Report) error {
	if a.Suite.Name != b.Suite.Name {
		return fmt.Errorf("shard %d ran suite %q, shard %d suite %q", a.Shard.Index, a.Suite.Name, b.Shard.Index, b.Suite.Name)
	}
	ea, eb := a.Environment, b.Environment
	if ea.EdgeproofVersion != eb.EdgeproofVersion || ea.EdgeproofCommit != eb.EdgeproofCommit {
		return fmt.Errorf("shard %d ran edgeproof %s %s, shard %d %s %s", a.Shard.Index, ea.EdgeproofVersion, ea.EdgeproofCommit, b.Shard.Index, eb.EdgeproofVersion, eb.EdgeproofCommit)
	}
	if !slices.Equal(ea.ScenarioFiles, eb.ScenarioFiles) {
		return fmt.Errorf("shard %d and shard %d loaded different scenario or profile files (hashes differ)", a.Shard.Index, b.Shard.Index)
	}
	return nil
}

// MergeDirs merges the report directories of every shard (as the e2e suite
// leaves them with SHARD=i/N) into out: report.json, junit.xml, summary.md
// and index.html for the whole run, and each shard's other files (failure
// dumps, failures.txt) under shard-<i>/. out must not exist yet; it is
// written beside itself and renamed, so a failed merge leaves nothing.
func MergeDirs(out string, dirs []string) (*Report, error) {
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("merge: %s already exists; give a new directory", out)
	}
	var parts []*Report
	src := map[int]string{}
	for _, d := range dirs {
		r, err := Load(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if r.Shard == nil {
			return nil, fmt.Errorf("merge: %s is not a shard's report: run the suite with SHARD=i/N", filepath.Join(d, JSONFile))
		}
		if prev, dup := src[r.Shard.Index]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %s", prev, d, r.Shard.part())
		}
		src[r.Shard.Index] = d
		parts = append(parts, r)
	}
	m, err := Merge(parts, ShardDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "."+filepath.Base(out)+".*")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for i, d := range src {
		if err := copyShardFiles(d, filepath.Join(tmp, ShardDir(i))); err != nil {
			return nil, fmt.Errorf("merge: copying %s: %w", d, err)
		}
	}
	if err := WriteAll(m, tmp); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return m, nil
}

// ShardDir is where a merged report keeps shard i's own files.
func ShardDir(i int) string { return fmt.Sprintf("shard-%d", i) }

// part is s as the shard splitter names and checks it.
func (s Shard) part() shard.Shard { return shard.Shard{Index: s.Index, Total: s.Total} }

// copyShardFiles copies every regular file under dir except the report
// files the merge rewrites.
func copyShardFiles(dir, to string) error {
	skip := map[string]bool{JSONFile: true, JUnitFile: true, SummaryFile: true, HTMLFile: true}
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || e.IsDir() || !e.Type().IsRegular() || skip[rel] {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}
