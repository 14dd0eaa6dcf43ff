package svgchart

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/go-analyze/charts/chartdraw"
	"github.com/go-analyze/charts/chartdraw/drawing"
)

// Window is a fault window, in seconds since the scenario's start.
type Window struct {
	// From and To bound the window; To is clipped to the plot.
	From, To float64
}

// Line is one series to chart.
type Line struct {
	// Title labels the chart for assistive technology.
	Title string
	// Unit labels the y axis.
	Unit string
	// X are sample times in seconds since the scenario's start; Y the values.
	X, Y []float64
	// Span is the scenario length in seconds; the x axis covers at least [0, Span].
	Span float64
	// Windows are shaded behind the line.
	Windows []Window
	// Format prints y-axis tick values.
	Format func(float64) string
}

// ErrNoPoints is returned by Chart for a series without samples.
var ErrNoPoints = errors.New("series has no points")

// Chart sizes, in SVG user units; the page scales the SVG to its width.
const (
	chartWidth  = 560
	chartHeight = 210
)

var (
	lineColor = drawing.ColorFromHex("1d4ed8")
	faultFill = drawing.ColorFromHex("dc2626").WithAlpha(40)
	gridColor = drawing.ColorFromHex("e5e7eb")
)

// Chart renders l as a standalone <svg> element.
func Chart(l Line) (string, error) {
	if len(l.X) == 0 || len(l.X) != len(l.Y) {
		return "", ErrNoPoints
	}
	xs, ys := sortedByX(l.X, l.Y)
	format := l.Format
	if format == nil {
		format = func(v float64) string { return fmt.Sprint(v) }
	}

	xmin := math.Min(0, xs[0])
	xmax := math.Max(l.Span, xs[len(xs)-1])
	for _, w := range l.Windows {
		xmax = math.Max(xmax, w.To)
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	lo, hi := ys[0], ys[0]
	for _, y := range ys {
		lo, hi = math.Min(lo, y), math.Max(hi, y)
	}
	ymin, ymax, ystep := valueRange(lo, hi, 4)

	var xticks, yticks []chartdraw.Tick
	xstep := timeStep(xmax-xmin, 8)
	for v := math.Ceil(xmin/xstep) * xstep; v <= xmax+1e-9; v += xstep {
		xticks = append(xticks, chartdraw.Tick{Value: v, Label: Offset(v)})
	}
	for i := 0; ; i++ {
		v := ymin + float64(i)*ystep
		if v > ymax+ystep*1e-9 {
			break
		}
		yticks = append(yticks, chartdraw.Tick{Value: v, Label: format(v)})
	}

	line := chartdraw.Style{StrokeColor: lineColor, StrokeWidth: 2}
	if len(xs) <= 30 {
		// Sparse samples get dots so single points stay visible.
		line.DotColor, line.DotWidth = lineColor, 2.5
	}
	grid := chartdraw.Style{StrokeColor: gridColor, StrokeWidth: 1}
	c := chartdraw.Chart{
		Width:      chartWidth,
		Height:     chartHeight,
		Background: chartdraw.Style{Padding: chartdraw.Box{Top: 12, Left: 8, Right: 24, Bottom: 8}},
		XAxis: chartdraw.XAxis{
			Range:          &chartdraw.ContinuousRange{Min: xmin, Max: xmax},
			Ticks:          xticks,
			GridMajorStyle: grid,
			GridLines:      gridLines(xticks),
		},
		// Values go on the secondary axis because chartdraw draws that one on
		// the left, where readers look for it; the primary stays hidden.
		YAxis: chartdraw.YAxis{
			Style: chartdraw.Style{Hidden: true},
			Range: &chartdraw.ContinuousRange{Min: ymin, Max: ymax},
		},
		YAxisSecondary: chartdraw.YAxis{
			Range:          &chartdraw.ContinuousRange{Min: ymin, Max: ymax},
			Ticks:          yticks,
			GridMajorStyle: grid,
			GridLines:      gridLines(yticks),
		},
		Series: []chartdraw.Series{
			bands{windows: l.Windows}, // first, so the line is drawn over the shading
			chartdraw.ContinuousSeries{Name: l.Title, Style: line, YAxis: chartdraw.YAxisSecondary, XValues: xs, YValues: ys},
		},
	}
	var buf bytes.Buffer
	if err := c.Render(chartdraw.SVG, &buf); err != nil {
		return "", fmt.Errorf("render chart %q: %w", l.Title, err)
	}
	return inline(buf.String(), "chart", l.Title), nil
}

func gridLines(ticks []chartdraw.Tick) []chartdraw.GridLine {
	gl := make([]chartdraw.GridLine, len(ticks))
	for i, t := range ticks {
		gl[i] = chartdraw.GridLine{Value: t.Value}
	}
	return gl
}

func sortedByX(x, y []float64) ([]float64, []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	xs, ys := make([]float64, len(x)), make([]float64, len(y))
	for i, j := range idx {
		xs[i], ys[i] = x[j], y[j]
	}
	return xs, ys
}

// inline turns a standalone SVG document into an element for an HTML page:
// the namespace declarations go (HTML parsers supply them, and they are the
// only URLs in the output), and a class and accessible label are added.
func inline(svg, class, label string) string {
	svg = strings.Replace(svg, ` xmlns="http://www.w3.org/2000/svg"`, "", 1)
	svg = strings.Replace(svg, ` xmlns:xlink="http://www.w3.org/1999/xlink"`, "", 1)
	attrs := fmt.Sprintf(`<svg class="%s" role="img" aria-label="%s" `, class, html.EscapeString(label))
	return strings.Replace(svg, "<svg ", attrs, 1)
}

// bands is a chartdraw series that shades fault windows over the full
// height of the plot. It reports no values, so it never moves the axes.
type bands struct{ windows []Window }

// GetName implements chartdraw.Series.
func (bands) GetName() string { return "fault windows" }

// GetYAxis implements chartdraw.Series.
func (bands) GetYAxis() chartdraw.YAxisType { return chartdraw.YAxisPrimary }

// GetStyle implements chartdraw.Series.
func (bands) GetStyle() chartdraw.Style { return chartdraw.Style{} }

// Validate implements chartdraw.Series.
func (bands) Validate() error { return nil }

// Render implements chartdraw.Series: one translucent rectangle per window.
func (b bands) Render(r chartdraw.Renderer, box chartdraw.Box, xr, _ chartdraw.Range, _ chartdraw.Style) {
	for _, w := range b.windows {
		x0 := box.Left + xr.Translate(w.From)
		x1 := box.Left + xr.Translate(w.To)
		x0, x1 = max(x0, box.Left), min(x1, box.Right)
		if x1 <= x0 {
			x1 = x0 + 1 // a zero-length fault still shows as a hairline
		}
		r.ResetStyle()
		r.SetFillColor(faultFill)
		r.SetStrokeWidth(0)
		r.MoveTo(x0, box.Top)
		r.LineTo(x1, box.Top)
		r.LineTo(x1, box.Bottom)
		r.LineTo(x0, box.Bottom)
		r.Close()
		r.Fill()
	}
	r.ResetStyle()
}
