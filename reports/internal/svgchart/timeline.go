package svgchart

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"
)

// Bar is one fault on a timeline, in seconds since the scenario's start.
type Bar struct {
	// Label names the fault.
	Label string
	// Detail is shown as a tooltip.
	Detail string
	// From and To bound the fault window; To is ignored when Open.
	From, To float64
	// Open marks a fault that was never removed; its bar runs to the end.
	Open bool
	// Healed marks a fault whose target recovered.
	Healed bool
	// Skipped marks a fault that was not injected; it gets a row but no bar.
	Skipped bool
}

// Timeline geometry in SVG user units.
const (
	tlWidth  = 1100
	tlLabelW = 200
	tlRight  = 40
	tlRow    = 24
	tlTop    = 8
	tlAxis   = 28
)

// Timeline renders bars against a time axis of span seconds as an <svg>
// element: healed faults amber, unhealed red, never-removed red to the end
// with a dashed edge, skipped faults as grey text.
func Timeline(bars []Bar, span float64, label string) string {
	end := span
	for _, b := range bars {
		if !b.Skipped {
			end = math.Max(end, math.Max(b.From, b.To))
		}
	}
	if end <= 0 {
		end = 1
	}
	rows := max(len(bars), 1)
	height := tlTop + rows*tlRow + tlAxis
	plotW := float64(tlWidth - tlLabelW - tlRight)
	x := func(sec float64) float64 { return tlLabelW + plotW*math.Max(0, math.Min(sec, end))/end }
	bottom := tlTop + rows*tlRow

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" role="img" aria-label="%s" viewBox="0 0 %d %d">`, html.EscapeString(label), tlWidth, height)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%g" height="%d" fill="#f9fafb"/>`, tlLabelW, tlTop, plotW, rows*tlRow)

	step := timeStep(end, 8)
	for v := 0.0; v <= end+1e-9; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e7eb"/>`, x(v), tlTop, x(v), bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#4b5563">%s</text>`, x(v), bottom+16, Offset(v))
	}

	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#6b7280">no faults injected</text>`, tlLabelW+8, tlTop+16)
	}
	for i, bar := range bars {
		y := tlTop + i*tlRow
		b.WriteString(`<g>`)
		if bar.Detail != "" {
			fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(bar.Detail))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#111827">%s</text>`, 4, y+16, html.EscapeString(truncate(bar.Label, 26)))
		switch {
		case bar.Skipped:
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-style="italic" fill="#6b7280">skipped</text>`, tlLabelW+8, y+16)
		default:
			to := bar.To
			if bar.Open {
				to = end
			}
			x0, x1 := x(bar.From), x(to)
			w := math.Max(x1-x0, 2)
			fill := "#dc2626"
			if bar.Healed && !bar.Open {
				fill = "#f59e0b"
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s"/>`, x0, y+5, w, tlRow-10, fill)
			if bar.Open {
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#7f1d1d" stroke-width="2" stroke-dasharray="3 2"/>`, x0+w, y+3, x0+w, y+tlRow-3)
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
