package reports

import (
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks r against the rules report.schema.json cannot express or
// that writers rely on: finite numbers, known states, unique scenario names,
// artifact paths that stay inside the report directory. It returns every
// problem found, joined.
func (r *Report) Validate() error {
	if r == nil {
		return errors.New("report is nil")
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if r.SchemaVersion != SchemaVersion {
		add("schemaVersion %q: this edgeproof reads and writes %q", r.SchemaVersion, SchemaVersion)
	}
	if r.Suite.Name == "" {
		add("suite.name is empty")
	}
	if r.Suite.Duration < 0 {
		add("suite.durationSeconds is negative")
	}
	if r.Environment.EdgeproofVersion == "" {
		add("environment.edgeproofVersion is empty")
	}
	for i, n := range r.Environment.Nodes {
		if n.Name == "" {
			add("environment.nodes[%d].name is empty", i)
		}
	}
	for i, c := range r.Environment.HostCapabilities {
		if c.Name == "" {
			add("environment.hostCapabilities[%d].name is empty", i)
		}
	}
	for i, f := range r.Environment.ScenarioFiles {
		if f.Path == "" || !sha256Hex.MatchString(f.SHA256) {
			add("environment.scenarioFiles[%d] (%q): want a path and a lowercase hex sha256", i, f.Path)
		}
	}

	if r.Shard != nil {
		if err := r.Shard.part().Check(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ShardSet(r.Environment.Shards); err != nil {
		add("environment.shards: %w", err)
	}

	seen := map[string]bool{}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		at := fmt.Sprintf("scenarios[%d] (%q)", i, s.Name)
		if s.Name == "" {
			add("scenarios[%d].name is empty", i)
		} else if seen[s.Name] {
			add("%s: duplicate scenario name", at)
		}
		seen[s.Name] = true
		if !s.State.Valid() {
			add("%s: state %q is not passed, failed or skipped", at, s.State)
		}
		if s.FileSHA256 != "" && !sha256Hex.MatchString(s.FileSHA256) {
			add("%s: fileSha256 is not lowercase hex sha256", at)
		}
		if s.Duration < 0 {
			add("%s: durationSeconds is negative", at)
		}
		for j, f := range s.FaultEvents {
			if f.Name == "" || f.Kind == "" {
				add("%s: faultEvents[%d] needs a name and a kind", at, j)
			}
			if !f.Start.IsZero() && !f.End.IsZero() && f.End.Before(f.Start) {
				add("%s: faultEvents[%d] (%q) ends before it starts", at, j, f.Name)
			}
		}
		for j, se := range s.Series {
			if se.Name == "" {
				add("%s: series[%d].name is empty", at, j)
			}
			for k, p := range se.Points {
				if !finite(p.V) {
					add("%s: series %q point %d: value %v is not finite", at, se.Name, k, p.V)
				}
			}
		}
		for j, v := range s.Verdicts {
			if v.Objective == "" || v.Metric == "" {
				add("%s: verdicts[%d] needs an objective and a metric", at, j)
			}
			if !finite(v.Value) || !finite(v.Budget) || !finite(v.Margin) {
				add("%s: verdict %q: value, budget and margin must be finite", at, v.Objective)
			}
		}
		for j, a := range s.Artifacts {
			if err := checkRelPath(a.Path); err != nil {
				add("%s: artifacts[%d] (%q): %w", at, j, a.Name, err)
			}
		}
	}
	return errors.Join(errs...)
}

// checkRelPath rejects artifact paths that would make a link leave the report
// directory or point at the network; the HTML page must stay self-contained.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("path is empty")
	case strings.Contains(p, "://") || strings.HasPrefix(p, "//"):
		return fmt.Errorf("path %q is a URL, want a path relative to the report directory", p)
	case strings.Contains(p, `\`):
		return fmt.Errorf("path %q uses backslashes, want forward slashes", p)
	case path.IsAbs(p):
		return fmt.Errorf("path %q is absolute, want it relative to the report directory", p)
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("path %q leaves the report directory", p)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
