package reports

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// formatNumber prints v with about four significant digits and no exponent,
// which reads well for percentages, milliseconds and counts alike.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	prec := 0
	if a := math.Abs(v); a < 1000 {
		prec = 3 - int(math.Floor(math.Log10(a)))
		prec = min(max(prec, 0), 9)
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// withUnit joins a number and its unit the way people write them: "99.9%",
// "120 ms". Ratios and counts (units "ratio" and "count") read bare.
func withUnit(num, unit string) string {
	switch unit {
	case "", "ratio", "count":
		return num
	case "%":
		return num + "%"
	}
	return num + " " + unit
}

func formatValue(v float64, unit string) string { return withUnit(formatNumber(v), unit) }

// Quantities renders the verdict's value, budget and margin as every writer
// and the live output print them: about four significant digits with the
// unit ("8.366 s"), and the margin signed ("+2.634 s").
func (v Verdict) Quantities() (value, budget, margin string) {
	return formatValue(v.Value, v.Unit), formatValue(v.Budget, v.Unit), formatMargin(v.Margin, v.Unit)
}

// Line is the verdict in one line, as the live output and the failures
// list print it: "FAIL latency  delivery/p99Latency = 136.7 s (budget 1 s,
// margin -135.7 s)", with the detail after a colon when there is one.
func (v Verdict) Line() string {
	mark := "PASS"
	if !v.Pass {
		mark = "FAIL"
	}
	value, budget, margin := v.Quantities()
	s := fmt.Sprintf("%s %-22s %s/%s = %s (budget %s, margin %s)", mark, v.Objective, v.Kind, v.Metric, value, budget, margin)
	if v.Detail != "" {
		s += ": " + v.Detail
	}
	return s
}

// formatMargin signs the margin so headroom and shortfall are told apart at a glance.
func formatMargin(v float64, unit string) string {
	s := formatNumber(v)
	if v > 0 {
		s = "+" + s
	}
	return withUnit(s, unit)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// formatOffset prints an offset from a scenario's start, e.g. "+1m30s".
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return sign + d.Round(time.Second).String()
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// cleanOutput drops terminal colour codes, which captured test output is full
// of and which XML, Markdown and HTML cannot show.
func cleanOutput(s string) string { return ansiEscape.ReplaceAllString(s, "") }

func firstLine(s string) string {
	s = strings.TrimSpace(cleanOutput(s))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " …"
	}
	return s
}

func passWord(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}
