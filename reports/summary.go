package reports

import (
	"fmt"
	"slices"
	"strings"
)

// MarshalSummary renders r as Markdown for a CI job summary page: the overall
// outcome first, then objectives, failures, skips and relative links to the
// full report.
func MarshalSummary(r *Report) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid report: %w", err)
	}
	var b strings.Builder
	t := r.Totals()
	icon, word := "✅", "PASSED"
	if !r.Passed() {
		icon, word = "❌", "FAILED"
	}
	fmt.Fprintf(&b, "# %s %s: %s\n\n", icon, mdEscape(r.Suite.Name), word)
	b.WriteString(overallLine(r, t) + "\n")

	if t.Verdicts > 0 {
		b.WriteString("\n## Objectives\n\n")
		b.WriteString("| Scenario | Objective | Value | Budget | Margin | Pass |\n")
		b.WriteString("| --- | --- | ---: | ---: | ---: | :---: |\n")
		for i, s := range r.Scenarios {
			for _, v := range s.Verdicts {
				mark := "✅"
				if !v.Pass {
					mark = "❌"
				}
				value, budget, margin := v.Quantities()
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", scenarioLink(i, s.Name), mdEscape(v.Objective),
					mdEscape(value), mdEscape(budget), mdEscape(margin), mark)
			}
		}
	}

	writeMutants(&b, r)

	if t.Failed > 0 {
		b.WriteString("\n## Failures\n\n")
		for i, s := range r.Scenarios {
			if s.State == StateFailed {
				msg := firstLine(s.Failure)
				if msg == "" {
					msg = "scenario failed"
				}
				fmt.Fprintf(&b, "- **%s**: %s\n", scenarioLink(i, s.Name), mdEscape(msg))
			}
		}
	}

	writeSkips(&b, r)

	b.WriteString("\n## Details\n\n")
	fmt.Fprintf(&b, "- [Full report with timelines and charts](%s) · [JUnit XML](%s) · [JSON](%s)\n", HTMLFile, JUnitFile, JSONFile)
	for i, s := range r.Scenarios {
		if len(s.Artifacts) == 0 {
			continue
		}
		links := make([]string, len(s.Artifacts))
		for j, a := range s.Artifacts {
			links[j] = fmt.Sprintf("[%s](%s)", mdEscape(artifactName(a)), relURL(a.Path))
		}
		fmt.Fprintf(&b, "- %s artifacts: %s\n", scenarioLink(i, s.Name), strings.Join(links, " · "))
	}
	return []byte(b.String()), nil
}

// WriteSummary writes r to dir/summary.md.
func WriteSummary(r *Report, dir string) error {
	b, err := MarshalSummary(r)
	if err != nil {
		return err
	}
	return writeFile(dir, SummaryFile, b)
}

func overallLine(r *Report, t Totals) string {
	parts := []string{fmt.Sprintf("**%d scenarios: %d passed, %d failed, %d skipped**", t.Scenarios, t.Passed, t.Failed, t.Skipped)}
	if t.Verdicts > 0 {
		parts = append(parts, fmt.Sprintf("objectives met: %d of %d", t.VerdictsPassed, t.Verdicts))
	}
	parts = append(parts, "took "+r.Suite.Duration.String())
	if s := r.Shard; s != nil && s.Total > 1 {
		parts = append(parts, fmt.Sprintf("shard %d of %d only", s.Index, s.Total))
	}
	if n := len(r.Environment.Shards); n > 0 {
		parts = append(parts, fmt.Sprintf("merged from %d shards", n))
	}
	e := r.Environment
	if e.KubernetesVersion != "" || e.Provider != "" {
		where := strings.TrimSpace("Kubernetes " + e.KubernetesVersion)
		if e.Provider != "" {
			where += " on " + e.Provider
		}
		if n := len(e.Nodes); n > 0 {
			where += fmt.Sprintf(", %d nodes", n)
		}
		parts = append(parts, mdEscape(where))
	}
	ver := "edgeproof " + e.EdgeproofVersion
	if e.EdgeproofCommit != "" {
		ver += " (" + shortHash(e.EdgeproofCommit) + ")"
	}
	parts = append(parts, mdEscape(ver))
	return strings.Join(parts, " · ")
}

func writeSkips(b *strings.Builder, r *Report) {
	var rows, faults []string
	for i, s := range r.Scenarios {
		if s.State == StateSkipped {
			rows = append(rows, fmt.Sprintf("| %s | %s |", scenarioLink(i, s.Name), mdEscape(skipReason(s.SkipReason))))
		}
		for _, f := range s.FaultEvents {
			if f.Skipped {
				faults = append(faults, fmt.Sprintf("| %s | %s (%s) | %s |", scenarioLink(i, s.Name),
					mdEscape(f.Name), mdEscape(f.Kind), mdEscape(skipReason(f.SkipReason))))
			}
		}
	}
	if len(rows) > 0 {
		b.WriteString("\n## Skipped scenarios\n\n| Scenario | Reason |\n| --- | --- |\n")
		b.WriteString(strings.Join(rows, "\n") + "\n")
	}
	if len(faults) > 0 {
		b.WriteString("\n## Skipped faults\n\n| Scenario | Fault | Reason |\n| --- | --- | --- |\n")
		b.WriteString(strings.Join(faults, "\n") + "\n")
	}
}

func scenarioLink(i int, name string) string {
	return fmt.Sprintf("[%s](%s#%s)", mdEscape(name), HTMLFile, anchorID(i, name))
}

func artifactName(a Artifact) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Path
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ",
)

// mdEscape keeps user text literal inside Markdown tables and lists: no
// accidental emphasis, links, HTML or column breaks.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// writeMutants adds the mutation suite's table: per planted defect, the
// scenario, the objectives that had to catch it, their verdicts and whether
// the defect was caught.
func writeMutants(b *strings.Builder, r *Report) {
	if r.Totals().Mutants == 0 {
		return
	}
	b.WriteString("\n## Mutants\n\n")
	b.WriteString("| Mutant | Scenario | Expected objective | Verdict | Value vs budget | Caught |\n")
	b.WriteString("| --- | --- | --- | --- | --- | :---: |\n")
	for i, s := range r.Scenarios {
		m := s.Mutant
		if m == nil {
			continue
		}
		mark := "❌"
		if m.Caught {
			mark = "✅"
		}
		expected, verdict, values := "the run fails", "", ""
		if len(m.Expect) > 0 {
			expected = strings.Join(m.Expect, " or ")
		}
		for _, v := range s.Verdicts {
			if !slices.Contains(m.Expect, v.Objective) {
				continue
			}
			word := "held"
			if !v.Pass {
				word = "missed"
			}
			value, budget, _ := v.Quantities()
			verdict = joinNonEmpty(verdict, v.Objective+" "+word)
			values = joinNonEmpty(values, value+" vs "+budget)
		}
		if verdict == "" {
			verdict = firstLine(s.Failure)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(m.Name), scenarioLink(i, s.Name),
			mdEscape(expected), mdEscape(verdict), mdEscape(values), mark)
	}
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
