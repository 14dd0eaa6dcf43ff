package slo

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/edgeproof/edgeproof/reports"
)

// Recorder collects one time series while a scenario runs. It is safe for
// concurrent use; probes add points from informer callbacks while the
// runner reads them.
type Recorder struct {
	name, unit string

	mu     sync.Mutex
	points []reports.Point
}

// NewRecorder returns an empty series named name whose values are in unit
// (e.g. "messages", "s"; empty for a plain count).
func NewRecorder(name, unit string) *Recorder {
	return &Recorder{name: name, unit: unit}
}

// Add records v at t. Points may arrive out of order and are kept sorted
// by time. NaN and infinities are dropped: report.json only holds finite
// values.
func (r *Recorder) Add(t time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i].T.After(t) })
	r.points = slices.Insert(r.points, i, reports.Point{T: t, V: v})
}

// Points returns a copy of the points in time order.
func (r *Recorder) Points() []reports.Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.points)
}

// Series returns the recorded series in the report model.
func (r *Recorder) Series() reports.Series {
	return reports.Series{Name: r.name, Unit: r.unit, Points: r.Points()}
}

// Peak returns the point with the highest value, the earliest if several
// tie; ok is false for an empty series. Use it for figures such as the
// gateway queue's peak depth.
func Peak(points []reports.Point) (peak reports.Point, ok bool) {
	for i, p := range points {
		if i == 0 || p.V > peak.V {
			peak, ok = p, true
		}
	}
	return peak, ok
}
