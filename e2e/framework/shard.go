package framework

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/internal/shard"
)

// DurationsFile holds the measured spec durations that balance shards,
// relative to the repository root; `edgeproof report durations` writes it
// from report.json files.
const DurationsFile = "e2e/durations.yaml"

// ShardFromEnv returns the shard $E2E_SHARD names, or nil when it is unset.
func ShardFromEnv() (*shard.Shard, error) {
	v := os.Getenv(EnvShard)
	if v == "" {
		return nil, nil
	}
	s, err := shard.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%s (make SHARD=i/N): %w", EnvShard, err)
	}
	return &s, nil
}

// ShardSkips returns Ginkgo skip patterns that leave only s's part of the
// specs preview says would run; w gets one line saying what the shard
// takes. preview must apply the same filters as the real run, so every
// shard splits the same set.
func ShardSkips(s shard.Shard, repoRoot, suite string, preview types.Report, w io.Writer) ([]string, error) {
	d, err := shard.LoadDurations(filepath.Join(repoRoot, DurationsFile))
	if err != nil {
		return nil, err
	}
	units := ShardUnits(preview)
	outside := map[string]bool{}
	var skips []string
	for _, spec := range shard.Outside(units, d, s) {
		outside[spec] = true
		skips = append(skips, "^"+regexp.QuoteMeta(suite+" "+spec)+"$")
	}
	var mine []string
	var seconds float64
	for _, u := range units {
		if !outside[u.Specs[0]] {
			mine = append(mine, u.Key)
			seconds += d.Weight(u)
		}
	}
	fmt.Fprintf(w, "shard %s: %d of %d units, about %.0f s by %s: %s\n",
		s, len(mine), len(units), seconds, DurationsFile, strings.Join(mine, "; "))
	return skips, nil
}

// ShardUnits groups the specs a preview would run into what a shard takes
// whole: an ordered container's specs together, any other spec alone.
func ShardUnits(preview types.Report) []shard.Unit {
	var units []shard.Unit
	index := map[string]int{}
	for _, r := range preview.SpecReports {
		if r.LeafNodeType != types.NodeTypeIt || r.State.Is(types.SpecStateSkipped|types.SpecStatePending) {
			continue
		}
		key := r.FullText()
		if r.IsInOrderedContainer {
			key = strings.Join(r.ContainerHierarchyTexts, " ")
		}
		if i, ok := index[key]; ok {
			units[i].Specs = append(units[i].Specs, r.FullText())
			continue
		}
		index[key] = len(units)
		units = append(units, shard.Unit{Key: key, Specs: []string{r.FullText()}})
	}
	return units
}
