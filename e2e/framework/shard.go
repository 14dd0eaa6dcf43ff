package framework

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/edgeproof/edgeproof/internal/shard"
	"github.com/edgeproof/edgeproof/reports"
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

// ShardPlan is one shard's part of a split and what identifies the split.
type ShardPlan struct {
	// Outside are the full texts of the other shards' specs.
	Outside map[string]bool
	// Plan is a hash of every selected spec and the shard it went to: the
	// same on every shard of one split.
	Plan string
	// Specs is how many specs the whole split covers.
	Specs int
}

// PlanShard returns s's part of the specs preview says would run; w gets
// one line saying what the shard takes. preview must apply the same
// filters as the real run, so every shard splits the same set.
func PlanShard(s shard.Shard, repoRoot string, preview types.Report, w io.Writer) (*ShardPlan, error) {
	d, err := shard.LoadDurations(filepath.Join(repoRoot, DurationsFile))
	if err != nil {
		return nil, err
	}
	units := ShardUnits(preview)
	plan := &ShardPlan{Outside: map[string]bool{}}
	h := sha256.New()
	for i, part := range shard.Assign(units, d, s.Total) {
		for _, u := range part {
			for _, spec := range u.Specs {
				fmt.Fprintf(h, "%d\t%s\n", i+1, spec)
				plan.Specs++
				if i != s.Index-1 {
					plan.Outside[spec] = true
				}
			}
		}
	}
	plan.Plan = hex.EncodeToString(h.Sum(nil))
	var mine []string
	var seconds float64
	for _, u := range units {
		if !plan.Outside[u.Specs[0]] {
			mine = append(mine, u.Key)
			seconds += d.Weight(u)
		}
	}
	fmt.Fprintf(w, "shard %s: %d of %d units, about %.0f s by %s: %s\n",
		s, len(mine), len(units), seconds, DurationsFile, strings.Join(mine, "; "))
	return plan, nil
}

// Skips are Ginkgo skip patterns for the other shards' specs, matched as
// Ginkgo matches them: against the suite's description, a space and the
// spec's full text.
func (p *ShardPlan) Skips(suite string) []string {
	var out []string
	for spec := range p.Outside {
		out = append(out, "^"+regexp.QuoteMeta(suite+" "+spec)+"$")
	}
	sort.Strings(out)
	return out
}

// Keep drops from rep the scenarios of other shards: Ginkgo reports them
// as skipped, and a suite cut short keeps its skips in the report.
func (p *ShardPlan) Keep(rep *reports.Report, s shard.Shard) {
	kept := rep.Scenarios[:0]
	for _, sc := range rep.Scenarios {
		if !p.Outside[sc.Name] {
			kept = append(kept, sc)
		}
	}
	rep.Scenarios = kept
	rep.Shard = &reports.Shard{Index: s.Index, Total: s.Total, Plan: p.Plan, Specs: p.Specs}
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
			// The outermost container: an ordered container's nested
			// containers must stay with it.
			key = r.ContainerHierarchyTexts[0]
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
