package slo

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/reports"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sec(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }

func wantSeconds(t *testing.T, what string, v Value, want float64) {
	t.Helper()
	if !v.Known || v.V < want-1e-9 || v.V > want+1e-9 {
		t.Errorf("%s = %v, want %gs", what, v, want)
	}
}

func wantUnknown(t *testing.T, what string, v Value, reason string) {
	t.Helper()
	if v.Known || !strings.Contains(v.Reason, reason) {
		t.Errorf("%s = %v, want unknown because %q", what, v, reason)
	}
}

func TestSuccessRatio(t *testing.T) {
	samples := []DeviceSample{
		{T: sec(0), Generated: 100, Acknowledged: 90, Buffered: 10},
		{T: sec(10), Generated: 1100, Acknowledged: 1080, Buffered: 20},
		{T: sec(20), Generated: 2100, Acknowledged: 2060, Buffered: 40}, // window end
		{T: sec(22), Generated: 2300, Acknowledged: 2290, Buffered: 10}, // within the grace
		{T: sec(40), Generated: 4100, Acknowledged: 4100},               // beyond it
	}
	w := Window{Start: sec(0), End: sec(20)}
	// 2000 generated; 1970 acked by the end, 2200 with the grace, capped at 2000.
	if got := MeasureAvailability(samples, w, 0).SuccessRatio; !got.Known || got.V != 1970.0/2000 {
		t.Errorf("no grace: %v", got)
	}
	if got := MeasureAvailability(samples, w, 5*time.Second).SuccessRatio; !got.Known || got.V != 1 {
		t.Errorf("grace: %v", got)
	}
	idle := []DeviceSample{{T: sec(0), Generated: 5}, {T: sec(10), Generated: 5}}
	wantUnknown(t, "idle", MeasureAvailability(idle, Window{sec(0), sec(10)}, 0).SuccessRatio, "generated no messages")
	wantUnknown(t, "one sample", MeasureAvailability(samples[:1], w, 0).SuccessRatio, "fewer than two")
}

func TestLongestOutageFromSamples(t *testing.T) {
	samples := []DeviceSample{
		{T: sec(0), Generated: 0, Acknowledged: 0},
		{T: sec(1), Generated: 10, Acknowledged: 10},
		{T: sec(2), Generated: 20, Acknowledged: 12, Buffered: 8},
		{T: sec(3), Generated: 30, Acknowledged: 12, Buffered: 18}, // no ack since 2 s
		{T: sec(4), Generated: 40, Acknowledged: 12, Buffered: 28},
		{T: sec(5), Generated: 50, Acknowledged: 50},
		{T: sec(6), Generated: 50, Acknowledged: 50}, // idle: nothing pending, not an outage
		{T: sec(9), Generated: 50, Acknowledged: 50},
	}
	wantSeconds(t, "outage", MeasureAvailability(samples, Window{sec(0), sec(9)}, 0).LongestOutage, 2)
}

func TestLongestOutageFromDevicesim(t *testing.T) {
	ms := func(n float64) int64 { return sec(n).UnixMilli() }
	samples := []DeviceSample{
		{T: sec(0), Generated: 10, Acknowledged: 10, LongestAckGapMs: 4000, LastAckUnixMs: ms(0)}, // 4 s before the window: ignored
		{T: sec(5), Generated: 20, Acknowledged: 20, LongestAckGapMs: 4000, LastAckUnixMs: ms(4.9)},
		{T: sec(10), Generated: 30, Acknowledged: 30, LongestAckGapMs: 4700, LastAckUnixMs: ms(9.9)}, // a 4.7 s gap ended
		{T: sec(15), Generated: 40, Acknowledged: 30, Buffered: 10, LongestAckGapMs: 4700, LastAckUnixMs: ms(9.9)},
	}
	// The gap still open at 15 s has lasted 5.1 s; sample resolution would
	// have said 5 s for it and missed the 4.7 s one.
	wantSeconds(t, "outage", MeasureAvailability(samples, Window{sec(0), sec(15)}, 0).LongestOutage, 5.1)
	wantSeconds(t, "outage to 10s", MeasureAvailability(samples, Window{sec(0), sec(10)}, 0).LongestOutage, 4.7)
}

// TestLongestOutagePerDevice: one device waits 9.8 s while the others keep
// the fleet-wide gap at 20-45 ms; the per-device figures win.
func TestLongestOutagePerDevice(t *testing.T) {
	ms := func(n float64) int64 { return sec(n).UnixMilli() }
	fleet := func(n float64) DeviceSample {
		return DeviceSample{T: sec(n), Generated: uint64(n * 100), Acknowledged: uint64(n * 100), LongestAckGapMs: int64(20 + n), LastAckUnixMs: ms(n)}
	}
	with := func(s DeviceSample, longest, open int64) DeviceSample {
		s.LongestDeviceWaitMs, s.DeviceWaitMs = longest, open
		return s
	}
	samples := []DeviceSample{
		with(fleet(0), 3000, 0), // a 3 s wait before the windows: baseline only
		with(fleet(5), 3000, 0),
		with(fleet(10), 5000, 5000), // a device has waited 5 s, still open
		with(fleet(15), 9800, 0),    // its wait ended at 9.8 s
		with(fleet(20), 9800, 0),
		with(fleet(25), 9800, 1200),
	}
	wantSeconds(t, "whole run", MeasureAvailability(samples, Window{sec(0), sec(20)}, 0).LongestOutage, 9.8)
	wantSeconds(t, "to 10 s", MeasureAvailability(samples, Window{sec(0), sec(10)}, 0).LongestOutage, 5)
	// After the 9.8 s wait the maximum did not grow: only open waits count.
	wantSeconds(t, "after", MeasureAvailability(samples, Window{sec(15), sec(25)}, 0).LongestOutage, 1.2)
	wantSeconds(t, "quiet", MeasureAvailability(samples, Window{sec(0), sec(5)}, 0).LongestOutage, 0)
	// Without per-device figures the fleet-wide gap is all there is.
	for i := range samples {
		samples[i] = with(samples[i], 0, 0)
	}
	wantSeconds(t, "fleet only", MeasureAvailability(samples, Window{sec(0), sec(20)}, 0).LongestOutage, 0.04)
}

func TestMeasureDelivery(t *testing.T) {
	d := MeasureDelivery(SinkTotals{Received: 1000, Measured: 900, Lost: 2, Missing: 1, Duplicates: 7, P50: 20 * time.Millisecond, P99: 300 * time.Millisecond, Max: 61 * time.Second},
		[]DeviceTail{
			{Device: "d1", Boot: "a", Acked: 500, NextSeq: 500}, // complete
			{Device: "d2", Boot: "b", Acked: 498, NextSeq: 495}, // 3 acked after the last received
			{Device: "d3", Boot: "c", Acked: 2, NextSeq: 0},     // none received
			{Device: "d4", Boot: "d", Acked: 9, NextSeq: 10},    // sink ahead of the ack count: nothing lost
		})
	if !d.Lost.Known || d.Lost.V != 2+1+3+2 || d.TailLost != 5 {
		t.Errorf("lost = %v, tail %d", d.Lost, d.TailLost)
	}
	if d.Duplicates.V != 7 {
		t.Errorf("duplicates = %v", d.Duplicates)
	}
	wantSeconds(t, "p99", d.P99Latency, 0.3)
	wantSeconds(t, "p50", d.P50Latency, 0.02)
	wantSeconds(t, "max", d.MaxLatency, 61)
	none := MeasureDelivery(SinkTotals{}, []DeviceTail{{Acked: 4}})
	wantUnknown(t, "p99 of nothing", none.P99Latency, "received no message")
	if none.Lost.V != 4 {
		t.Errorf("lost of nothing = %v", none.Lost)
	}
	// A pipeline that stalled after steady state: messages arrived during
	// start-up only, so no latency was measured, which is not 0 s.
	stalled := MeasureDelivery(SinkTotals{Received: 90}, nil)
	wantUnknown(t, "p99 after a stall", stalled.P99Latency, "after steady state")
	wantUnknown(t, "max after a stall", stalled.MaxLatency, "after steady state")
	// One boot whose acknowledged tail could not be read: lost is Unknown
	// however small the known part is, and says how many boots.
	unread := MeasureDelivery(SinkTotals{Received: 10, Measured: 10}, []DeviceTail{
		{Device: "d1", Boot: "a", Acked: 10, NextSeq: 10},
		{Device: "d2", Boot: "b", Acked: 3, NextSeq: 3, Unread: "node edge-b: ledger unreadable"},
	})
	wantUnknown(t, "lost with an unread tail", unread.Lost, "1 device boots is not established (d2 boot b: node edge-b")
}

func TestMeasureCatchUp(t *testing.T) {
	acked := []CountSample{{sec(0), 0}, {sec(50), 1000}, {sec(60), 1200}, {sec(70), 1400}}
	sink := []CountSample{{sec(0), 0}, {sec(50), 400}, {sec(60), 400}, {sec(65), 900}, {sec(72), 1250}, {sec(80), 1600}}
	end := sec(60)
	wantSeconds(t, "catch-up", MeasureCatchUp(end, sink, acked), 12)
	if v := MeasureCatchUp(end, sink[:4], acked); v.Known || !strings.Contains(v.Reason, "900 of the 1200") {
		t.Errorf("short: %v", v)
	}
	wantUnknown(t, "no devices", MeasureCatchUp(end, sink, nil), "no complete devicesim reading")
	// The cut-off simulators were not read during the fault: the target is
	// the first complete reading after its end, not the last before it
	// (which would leave their backlog out and read 0 s).
	gap := []CountSample{{sec(0), 0}, {sec(30), 600}, {sec(63), 1300}}
	wantSeconds(t, "catch-up over a gap", MeasureCatchUp(end, sink, gap), 20)
	wantUnknown(t, "no sink", MeasureCatchUp(end, sink[:2], acked), "no sink sample")
}

func TestMeasureScaling(t *testing.T) {
	samples := []ReplicaSample{
		{sec(0), 2, 2},
		{sec(60), 2, 2}, // load step
		{sec(75), 4, 2},
		{sec(90), 4, 4}, // scaled out: 30 s
		{sec(105), 6, 4},
		{sec(130), 6, 6},
		{sec(300), 2, 3},
	}
	s := MeasureScaling(samples, sec(60))
	wantSeconds(t, "scale-out", s.ScaleOut, 30)
	if s.Replicas.V != 6 {
		t.Errorf("replicas = %v", s.Replicas)
	}
	flat := MeasureScaling(samples[:3], sec(60))
	wantUnknown(t, "no scale-out", flat.ScaleOut, "2 replicas Ready before it, at most 4 desired and 2 Ready")
	wantUnknown(t, "no samples", MeasureScaling(nil, sec(60)).Replicas, "no replica samples")
}

func TestMeasureRecovery(t *testing.T) {
	samples := []SteadySample{
		{sec(0), true}, {sec(10), false}, // fault
		{sec(20), false}, {sec(25), true}, {sec(30), false}, // a lucky sample
		{sec(35), true}, {sec(40), true}, {sec(45), true},
	}
	end, until := sec(20), sec(100)
	wantSeconds(t, "3 in a row", MeasureRecovery(end, until, samples, 3), 15)
	wantSeconds(t, "after the last unsteady", MeasureRecovery(end, until, samples, 0), 15)
	wantUnknown(t, "too few", MeasureRecovery(end, until, samples, 4), "not steady for 4 consecutive checks")
	wantUnknown(t, "none after", MeasureRecovery(sec(50), until, samples, 1), "no steady-state check ran")
	wantUnknown(t, "next fault cuts it", MeasureRecovery(end, sec(40), samples, 3), "not steady for 3 consecutive checks before")

	// A container kill: Ready for a moment after the kill, then down in
	// backoff, then back. Recovery ends when it is back, not at the first
	// (stale) steady sample.
	kill := []SteadySample{{sec(0), true}, {sec(1), true}, {sec(2), false}, {sec(3), false}, {sec(40), false},
		{sec(41), true}, {sec(42), true}, {sec(43), true}}
	wantSeconds(t, "delayed harm", MeasureRecovery(sec(0), until, kill, 3), 41)
	// Never unsteady: recovered at once.
	calm := []SteadySample{{sec(0), true}, {sec(1), true}, {sec(2), true}}
	wantSeconds(t, "never unsteady", MeasureRecovery(sec(0), until, calm, 3), 0)
}

func TestRecorder(t *testing.T) {
	r := NewRecorder("gateway queue", "messages")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { r.Add(sec(float64(49-i)), float64(i)) })
	}
	wg.Wait()
	r.Add(sec(100), 1/zero()) // dropped: not finite
	s := r.Series()
	if s.Name != "gateway queue" || s.Unit != "messages" || len(s.Points) != 50 {
		t.Fatalf("series %s %s with %d points", s.Name, s.Unit, len(s.Points))
	}
	for i := 1; i < len(s.Points); i++ {
		if s.Points[i].T.Before(s.Points[i-1].T) {
			t.Fatal("points out of order")
		}
	}
	if p, ok := Peak(s.Points); !ok || p.V != 49 || !p.T.Equal(sec(0)) {
		t.Errorf("peak %+v %v", p, ok)
	}
	if _, ok := Peak([]reports.Point(nil)); ok {
		t.Error("peak of nothing")
	}
}

func zero() float64 { return 0 }

func TestMeasureDrain(t *testing.T) {
	pts := func(vs ...float64) []reports.Point {
		var out []reports.Point
		for i, v := range vs {
			out = append(out, reports.Point{T: sec(float64(i)), V: v})
		}
		return out
	}
	// Fault ends at 2 s; the backlog is back to normal (<= 5) at 6 s.
	wantSeconds(t, "drain", MeasureDrain(sec(2), pts(0, 300, 1200, 900, 400, 50, 3, 2), 5), 4)
	// Nothing stored: drained at the first sample after the end.
	wantSeconds(t, "no backlog", MeasureDrain(sec(2), pts(1, 1, 1, 1), 5), 0)
	wantUnknown(t, "never drained", MeasureDrain(sec(2), pts(0, 300, 1200, 900), 5), "still held 900")
}
