package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/edgeproof/edgeproof/fixtures/accounting"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// recoverySamples is how many consecutive steady samples end a recovery,
// so one lucky sample does not.
const recoverySamples = 3

// availabilityGrace is how long after a window acknowledgements of
// messages sent in it still count.
const availabilityGrace = 5 * time.Second

// drain stops the devices and waits until they hold nothing and the sink
// has received everything they had acknowledged.
func drain(ctx context.Context, w *workload.Workload, m *monitor, timeout time.Duration, say func(string, ...any)) error {
	if !w.Spec.DeviceSim {
		return nil
	}
	if err := w.StopDevices(ctx); err != nil {
		return fmt.Errorf("stopping devices: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		m.sample(ctx)
		dev, recv, _, _, _ := m.snapshot()
		if n := len(dev); n > 0 {
			last := dev[n-1]
			got := recv[len(recv)-1].V
			if last.Buffered <= 0 && got >= last.Acknowledged {
				say("drained: %d acknowledged, %d received by the sink", last.Acknowledged, got)
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("not drained after %s: devices hold %d, sink has %d of %d acknowledged",
					timeout, last.Buffered, got, last.Acknowledged)
			}
		}
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
	}
}

// measure turns what the run observed into the measurements objectives are
// judged on.
func measure(ctx context.Context, sc *scenarios.Scenario, w *workload.Workload, mon *monitor, probe *slo.RescheduleProbe,
	played []Occurrence, t0 time.Time, base *accounting.Histogram, say func(string, ...any)) (slo.Measurements, error) {
	dev, _, _, rep, steady := mon.snapshot()
	m := slo.Measurements{Faults: map[string][]slo.Result{}}
	av := slo.MeasureAvailability(dev, slo.Window{Start: t0, End: t0.Add(sc.Spec.Duration.Std())}, availabilityGrace)
	m.Run.Availability = &av
	if w.Spec.Sink && w.Spec.DeviceSim {
		d, err := delivery(ctx, w, mon, base, say)
		if err != nil {
			return m, err
		}
		m.Run.Delivery = &d
	}
	step := t0
	for _, o := range played {
		if o.Kind == scenarios.DeviceLoad {
			step = o.Start
			break
		}
	}
	sc2 := slo.MeasureScaling(rep, step)
	m.Run.Scaling = &sc2
	dup, stale := slo.Unknown("not checked: no objective asked"), slo.Unknown("not checked: no objective asked")
	if needsConsistency(sc.Spec.Objectives) {
		c, err := consistency(ctx, w, say)
		if err != nil {
			dup, stale = slo.Unknown("consistency check failed: %v", err), slo.Unknown("consistency check failed: %v", err)
		} else {
			dup, stale = slo.Count(c.DuplicatePods), slo.Count(c.StaleEndpoints)
		}
	}

	runEnd := t0.Add(sc.Spec.Duration.Std())
	for _, o := range played {
		r := slo.Result{}
		win := slo.Window{Start: o.Start, End: o.End}
		a := slo.MeasureAvailability(dev, win, availabilityGrace)
		r.Availability = &a
		rec := slo.Recovery{
			Total:          slo.MeasureRecovery(o.End, nextStart(played, o.End, runEnd), steady, recoverySamples),
			CatchUp:        slo.MeasureDrain(o.End, mon.queue.Points(), normalBacklog(w.Spec)),
			DuplicatePods:  dup,
			StaleEndpoints: stale,
		}
		r.Recovery = &rec
		if rs := probe.Results(o.Fault); o.Index < len(rs) {
			rr := rs[o.Index]
			r.Reschedule = &rr
		}
		r.Delivery, r.Scaling = m.Run.Delivery, m.Run.Scaling
		if o.Kind == scenarios.DeviceLoad {
			s := slo.MeasureScaling(rep, o.Start)
			r.Scaling = &s
		}
		m.Faults[o.Fault] = append(m.Faults[o.Fault], r)
	}
	return m, nil
}

// delivery merges the sink replicas' accounting and checks it against
// what each device had acknowledged.
// Latency counts only messages received after steady state (base is the
// histogram then): those sent while devices were still connecting at
// start-up are not what the objective is about.
func delivery(ctx context.Context, w *workload.Workload, mon *monitor, base *accounting.Histogram, say func(string, ...any)) (slo.Delivery, error) {
	tr, err := mergedSink(ctx, w)
	if err != nil {
		return slo.Delivery{}, err
	}
	tr.Finalize()
	tot := tr.Totals()
	lat := tr.Latency()
	if base != nil {
		lat = lat.Since(base)
	}
	totals := slo.SinkTotals{
		Received: tot.Received, Expected: tot.Expected, Lost: tot.Lost, Missing: tot.Missing,
		Duplicates: tot.Duplicates, Reordered: tot.Reordered, Malformed: tot.Malformed,
		P50: quantile(lat, 0.50), P99: quantile(lat, 0.99),
	}
	next := map[string]uint64{} // device/boot -> next seq at the sink
	for _, d := range tr.Snapshot().Devices {
		if d.Current != nil {
			next[d.ID+"/"+strconv.FormatUint(d.Current.ID, 10)] = d.Current.Next
		}
		for _, b := range d.Past {
			next[d.ID+"/"+strconv.FormatUint(b.ID, 10)] = b.Next
		}
	}
	sims, err := w.Devices(ctx, true)
	if err != nil {
		return slo.Delivery{}, fmt.Errorf("collecting device counters: %w", err)
	}
	tails, gone := deviceTails(sims, mon.lastDevices(), next)
	if gone.pods > 0 {
		say("tail check: %d device boots of %d simulator pods gone before the end checked against their last reading",
			gone.boots, gone.pods)
	}
	return slo.MeasureDelivery(totals, tails), nil
}

// goneSims counts what deviceTails took from earlier readings.
type goneSims struct{ pods, boots int }

// deviceTails pairs every device boot with the sink's next seq for it. The
// boots of the simulators read at the end (final) come first; a simulator
// pod seen during the run but gone by then (replaced after its node failed)
// is checked against its last reading (earlier, by pod), so that losing what
// it had acknowledged up to then is not missed. next is keyed device/boot.
func deviceTails(final []workload.DeviceCounters, earlier map[string]workload.DeviceCounters, next map[string]uint64) ([]slo.DeviceTail, goneSims) {
	var tails []slo.DeviceTail
	add := func(rows []workload.DeviceRow) {
		for _, d := range rows {
			boot := strconv.FormatUint(d.Boot, 10)
			tails = append(tails, slo.DeviceTail{Device: d.ID, Boot: boot, Acked: d.Acked, NextSeq: next[d.ID+"/"+boot]})
		}
	}
	live := map[string]bool{}
	for _, s := range final {
		live[s.Pod] = true
		add(s.PerDevice)
	}
	// Boot ids are random per simulator process, so a gone pod's boots are
	// its own and need no merging with the live ones; sorted for a stable
	// order.
	var gone goneSims
	for _, pod := range slices.Sorted(maps.Keys(earlier)) {
		if live[pod] {
			continue
		}
		rows := earlier[pod].PerDevice
		gone.pods++
		gone.boots += len(rows)
		add(rows)
	}
	return tails, gone
}

// normalBacklog is the gateways' total queue depth in ordinary traffic:
// about two seconds of the devices' messages in flight, and at least 10.
func normalBacklog(s workload.Spec) float64 {
	return max(10, 2*float64(s.DevicesPerPod()*s.SimPods())*s.Rate)
}

// mergedSink collects every sink replica's accounting and merges it.
func mergedSink(ctx context.Context, w *workload.Workload) (*accounting.Tracker, error) {
	states, err := w.SinkStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("collecting sink accounting: %w", err)
	}
	list := make([]accounting.State, 0, len(states))
	for _, st := range states {
		list = append(list, st)
	}
	tr, err := accounting.Merge(accounting.Config{}, list...)
	if err != nil {
		return nil, fmt.Errorf("merging sink accounting: %w", err)
	}
	return tr, nil
}

// quantile reads a latency quantile from the merged histogram.
func quantile(h *accounting.Histogram, q float64) time.Duration {
	if h == nil {
		return 0
	}
	return time.Duration(h.Quantile(q)) // nanoseconds
}

// nextStart is the start of the first occurrence that begins after t, or
// runEnd when none does: a recovery must be complete by then, since what
// follows is the next fault's harm.
func nextStart(played []Occurrence, t, runEnd time.Time) time.Time {
	next := runEnd
	for _, o := range played {
		if o.Start.After(t) && o.Start.Before(next) {
			next = o.Start
		}
	}
	return next
}
