package svgchart

import (
	"math"
	"time"
)

// niceStep returns a 1-2-5 step that splits span into at most n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// timeSteps are tick spacings that read naturally on a clock, in seconds.
var timeSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeStep returns a clock-friendly step that splits span seconds into at most n intervals.
func timeStep(span float64, n int) float64 {
	for _, s := range timeSteps {
		if span/s <= float64(n) {
			return s
		}
	}
	return niceStep(span, n)
}

// Offset formats seconds since a scenario's start, e.g. "+1m30s".
func Offset(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	if d < 0 {
		return "-" + (-d).String()
	}
	return "+" + d.String()
}

// valueRange widens [lo, hi] by a small margin and then to whole steps, so
// that a flat series still gets a visible band and ticks land on round
// numbers. A non-negative series keeps a non-negative axis.
func valueRange(lo, hi float64, intervals int) (min, max, step float64) {
	pad := (hi - lo) * 0.05
	if pad == 0 {
		pad = math.Abs(hi) * 0.05
	}
	if pad == 0 {
		pad = 1
	}
	nonNegative := lo >= 0
	lo, hi = lo-pad, hi+pad
	if nonNegative {
		lo = math.Max(lo, 0)
	}
	step = niceStep(hi-lo, intervals)
	// The epsilons stop float noise from adding a whole empty step.
	min = math.Floor(lo/step+1e-9) * step
	max = math.Ceil(hi/step-1e-9) * step
	return min, max, step
}
