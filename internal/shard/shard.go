// Package shard splits a suite's specs over N machines: deterministically,
// so every shard computes the same split on its own, and balanced by
// measured spec durations, so the shards finish close together.
package shard

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Shard is one part of a split: Index of Total, counted from 1.
type Shard struct {
	// Index is this shard's number, 1..Total.
	Index int
	// Total is how many shards the run is split into.
	Total int
}

// String renders the shard as "i/N", the form Parse reads.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Total) }

// Parse reads "i/N" (1 <= i <= N, N <= 64).
func Parse(v string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/N, e.g. 2/3", v)
	}
	index, err1 := strconv.Atoi(i)
	total, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/N with whole numbers, e.g. 2/3", v)
	}
	s := Shard{Index: index, Total: total}
	return s, s.Check()
}

// Check reports a shard outside 1 <= index <= total <= 64.
func (s Shard) Check() error {
	if s.Total < 1 || s.Total > 64 || s.Index < 1 || s.Index > s.Total {
		return fmt.Errorf("shard %s: want 1 <= index <= total <= 64", s)
	}
	return nil
}

// Unit is what a shard takes whole: one spec, or the specs of an ordered
// container, which must run together and in order.
type Unit struct {
	// Key names the unit; it must be unique and decides ties.
	Key string
	// Specs are the full texts of the unit's specs.
	Specs []string
}

// Durations are measured wall times of specs in seconds, by spec full text.
type Durations map[string]float64

// DefaultSeconds is the weight of a spec with no measured duration: about
// what a catalog scenario takes (deploy, steady state, fault, drain, judge).
const DefaultSeconds = 180

// LoadDurations reads a durations file: a YAML map of spec full text to
// seconds.
func LoadDurations(path string) (Durations, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec durations: %w", err)
	}
	d := Durations{}
	if err := yaml.UnmarshalStrict(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if d == nil { // a file of comments only
		d = Durations{}
	}
	for spec, s := range d {
		if s < 0 {
			return nil, fmt.Errorf("%s: %q: duration %v is negative", path, spec, s)
		}
	}
	return d, nil
}

// Weight is the measured duration of a unit: the sum of its specs, each
// DefaultSeconds when it was never measured.
func (d Durations) Weight(u Unit) float64 {
	var sum float64
	for _, s := range u.Specs {
		if v, ok := d[s]; ok {
			sum += v
		} else {
			sum += DefaultSeconds
		}
	}
	return sum
}

// Assign splits units over total shards: longest first, each to the shard
// with the least work so far (ties to the lower index). The result is the
// same for the same units and durations, whatever their input order.
func Assign(units []Unit, d Durations, total int) [][]Unit {
	sorted := append([]Unit(nil), units...)
	sort.SliceStable(sorted, func(a, b int) bool {
		wa, wb := d.Weight(sorted[a]), d.Weight(sorted[b])
		if wa != wb {
			return wa > wb
		}
		return sorted[a].Key < sorted[b].Key
	})
	out := make([][]Unit, total)
	load := make([]float64, total)
	for _, u := range sorted {
		best := 0
		for i := 1; i < total; i++ {
			if load[i] < load[best] {
				best = i
			}
		}
		out[best] = append(out[best], u)
		load[best] += d.Weight(u)
	}
	return out
}

// Outside returns the full texts of the specs the shard does not run.
func Outside(units []Unit, d Durations, s Shard) []string {
	var out []string
	for i, part := range Assign(units, d, s.Total) {
		if i == s.Index-1 {
			continue
		}
		for _, u := range part {
			out = append(out, u.Specs...)
		}
	}
	sort.Strings(out)
	return out
}

// durationsHeader opens every durations file Write produces.
const durationsHeader = `# Measured wall time in seconds of each e2e spec, by its full text. Shards
# (SHARD=i/N) are balanced by these; a spec not listed weighs 180 s.
# Refresh from a run's reports:
#   edgeproof report durations --into e2e/durations.yaml _artifacts
`

// Write stores d at path as sorted YAML under a header saying how to
// refresh it.
func (d Durations) Write(path string) error {
	body, err := yaml.Marshal(map[string]float64(d))
	if err != nil {
		return fmt.Errorf("encoding spec durations: %w", err)
	}
	if err := os.WriteFile(path, append([]byte(durationsHeader), body...), 0o644); err != nil {
		return fmt.Errorf("writing spec durations: %w", err)
	}
	return nil
}
