package reports

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/reports/internal/svgchart"
)

//go:embed index.html.tmpl
var indexTemplate string

var pageTemplate = template.Must(template.New("index.html").Parse(indexTemplate))

// page is what index.html.tmpl renders: display strings are prepared here
// so the template stays a layout.
type page struct {
	R             *Report
	Passed        bool
	Totals        Totals
	Started       string
	Finished      string
	Scenarios     []scenarioPage
	Verdicts      []verdictRow
	SchemaVersion string
}

type scenarioPage struct {
	ID        string
	S         Scenario
	FileHash  string
	Started   string
	Failure   string
	Skip      string
	Timeline  template.HTML
	Charts    []chartPage
	Faults    []faultRow
	Verdicts  []verdictRow
	Artifacts []artifactLink
	Output    string
}

type chartPage struct {
	Title string
	Unit  string
	SVG   template.HTML
	Note  string
}

type faultRow struct {
	Name, Kind, Target, Window, Status string
	Bad                                bool
}

type verdictRow struct {
	Scenario, ScenarioID                           string
	Objective, Kind, Metric, Value, Budget, Margin string
	Pass                                           bool
}

type artifactLink struct{ Name, Href string }

// MarshalHTML renders r as one self-contained HTML page: inline CSS and SVG
// only, and a Content-Security-Policy that forbids the page from loading
// anything, so it opens the same from a CI artifact store or a laptop.
func MarshalHTML(r *Report) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid report: %w", err)
	}
	p := page{
		R:             r,
		Passed:        r.Passed(),
		Totals:        r.Totals(),
		Started:       formatTime(r.Suite.Started),
		Finished:      formatTime(r.Suite.Finished),
		SchemaVersion: SchemaVersion,
	}
	for i, s := range r.Scenarios {
		sp, err := scenarioView(i, s)
		if err != nil {
			return nil, err
		}
		p.Scenarios = append(p.Scenarios, sp)
		p.Verdicts = append(p.Verdicts, sp.Verdicts...)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteHTML writes r to dir/index.html.
func WriteHTML(r *Report, dir string) error {
	b, err := MarshalHTML(r)
	if err != nil {
		return err
	}
	return writeFile(dir, HTMLFile, b)
}

func scenarioView(i int, s Scenario) (scenarioPage, error) {
	sp := scenarioPage{
		ID:       anchorID(i, s.Name),
		S:        s,
		FileHash: s.FileSHA256,
		Started:  formatTime(s.Started),
		Output:   strings.TrimRight(cleanOutput(s.Output), "\n"),
	}
	switch s.State {
	case StateFailed:
		sp.Failure = strings.TrimSpace(cleanOutput(s.Failure))
		if sp.Failure == "" {
			sp.Failure = "scenario failed"
		}
	case StateSkipped:
		sp.Skip = skipReason(s.SkipReason)
	}

	origin, span := scenarioClock(s)
	sec := func(t time.Time) float64 { return t.Sub(origin).Seconds() }

	var bars []svgchart.Bar
	var windows []svgchart.Window
	for _, f := range s.FaultEvents {
		row := faultRow{Name: f.Name, Kind: f.Kind, Target: f.Target}
		bar := svgchart.Bar{Label: f.Name, Skipped: f.Skipped || f.Start.IsZero(), Healed: f.Healed}
		switch {
		case bar.Skipped:
			row.Window, row.Status = "—", "skipped: "+skipReason(f.SkipReason)
			bar.Detail = fmt.Sprintf("%s (%s) skipped: %s", f.Name, f.Kind, skipReason(f.SkipReason))
		default:
			bar.From = sec(f.Start)
			if f.End.IsZero() {
				bar.Open = true
				row.Window = fmt.Sprintf("%s → never removed", formatOffset(f.Start.Sub(origin)))
				row.Status, row.Bad = "still active at end", true
				windows = append(windows, svgchart.Window{From: bar.From, To: span})
			} else {
				bar.To = sec(f.End)
				row.Window = fmt.Sprintf("%s → %s (%s)", formatOffset(f.Start.Sub(origin)), formatOffset(f.End.Sub(origin)), f.End.Sub(f.Start).Round(time.Second))
				row.Status, row.Bad = "healed", !f.Healed
				if !f.Healed {
					row.Status = "not healed"
				}
				windows = append(windows, svgchart.Window{From: bar.From, To: bar.To})
			}
			bar.Detail = fmt.Sprintf("%s (%s) on %s: %s, %s", f.Name, f.Kind, orDash(f.Target), row.Window, row.Status)
		}
		sp.Faults = append(sp.Faults, row)
		bars = append(bars, bar)
	}
	if s.State != StateSkipped || len(bars) > 0 {
		sp.Timeline = template.HTML(svgchart.Timeline(bars, span, "fault timeline of "+s.Name))
	}

	for _, se := range s.Series {
		cp := chartPage{Title: se.Name, Unit: se.Unit}
		line := svgchart.Line{Title: se.Name, Unit: se.Unit, Span: span, Windows: windows, Format: formatNumber}
		for _, pt := range se.Points {
			line.X = append(line.X, sec(pt.T))
			line.Y = append(line.Y, pt.V)
		}
		svg, err := svgchart.Chart(line)
		switch {
		case errors.Is(err, svgchart.ErrNoPoints):
			cp.Note = "no samples"
		case err != nil:
			return sp, fmt.Errorf("scenario %q: %w", s.Name, err)
		default:
			// Safe: svgchart escapes all text it draws.
			cp.SVG = template.HTML(svg)
		}
		sp.Charts = append(sp.Charts, cp)
	}

	sp.Verdicts = verdictRows(i, s)
	for _, a := range s.Artifacts {
		sp.Artifacts = append(sp.Artifacts, artifactLink{Name: artifactName(a), Href: relURL(a.Path)})
	}
	return sp, nil
}

func verdictRows(i int, s Scenario) []verdictRow {
	rows := make([]verdictRow, 0, len(s.Verdicts))
	for _, v := range s.Verdicts {
		value, budget, margin := v.Quantities()
		rows = append(rows, verdictRow{
			Scenario: s.Name, ScenarioID: anchorID(i, s.Name),
			Objective: v.Objective, Kind: v.Kind, Metric: v.Metric,
			Value: value, Budget: budget, Margin: margin, Pass: v.Pass,
		})
	}
	return rows
}

// scenarioClock picks the instant charts count from and how long the x axis
// runs: the scenario's start and duration when known, else what the samples
// and faults span.
func scenarioClock(s Scenario) (origin time.Time, span float64) {
	origin = s.Started
	var last time.Time
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if origin.IsZero() || t.Before(origin) && s.Started.IsZero() {
			origin = t
		}
		if t.After(last) {
			last = t
		}
	}
	for _, se := range s.Series {
		for _, p := range se.Points {
			see(p.T)
		}
	}
	for _, f := range s.FaultEvents {
		see(f.Start)
		see(f.End)
	}
	span = s.Duration.Seconds()
	if !last.IsZero() {
		span = max(span, last.Sub(origin).Seconds())
	}
	return origin, span
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
