package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/fixtures/accounting"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// recoverySamples is how many consecutive steady samples end a recovery,
// so one lucky sample does not.
const recoverySamples = 3

// availabilityGrace is how long after a window acknowledgements of
// messages sent in it still count.
const availabilityGrace = 5 * time.Second

// drainSettle is how long the sink's count must stand still, with nothing
// held by devices or gateways, before what is missing is judged lost
// rather than waited for.
const drainSettle = 10 * time.Second

// drainStall is how long nothing may move (messages held by devices,
// queued in gateways, received by the sink) before a drain that still has
// messages upstream fails: about three times the longest reconnect backoff
// of a gateway uplink (~11 s), so a reconnect in progress is not a stall.
const drainStall = 30 * time.Second

// stallClock remembers when the drain's counts last changed.
type stallClock struct {
	held, queued, got uint64
	since             time.Time
}

// stalledFor updates p with the current counts and returns how long they
// have stood still.
func (p *stallClock) stalledFor(now time.Time, held, queued, got uint64) time.Duration {
	if p.since.IsZero() || held != p.held || queued != p.queued || got != p.got {
		*p = stallClock{held: held, queued: queued, got: got, since: now}
	}
	return now.Sub(p.since)
}

// drain stops the devices and waits until nothing is held upstream of the
// sink: the devices hold no unacknowledged message, every gateway answered
// with an empty queue, and the sink received everything acknowledged (or
// stopped receiving for drainSettle, the rest being loss that delivery
// judges). A drain that times out, or in which nothing moves for
// drainStall while messages are still upstream, is an error naming where
// the undelivered messages are: a pipeline that stalled must not pass.
func drain(ctx context.Context, w *workload.Workload, m *monitor, timeout time.Duration, say func(string, ...any)) error {
	if !w.Spec.DeviceSim {
		return nil
	}
	if err := w.StopDevices(ctx); err != nil {
		return fmt.Errorf("stopping devices: %w", err)
	}
	deadline := time.Now().Add(timeout)
	// Two clocks: the sink's count alone (settling, once nothing is held
	// upstream) and every count (a stall while something still is).
	var sink, moved stallClock
	for {
		up := m.sample(ctx)
		_, recv, acked, _, _ := m.snapshot()
		got, want := last(recv), last(acked)
		now := time.Now()
		settled := sink.stalledFor(now, 0, 0, got)
		stalled := moved.stalledFor(now, uint64(up.held), uint64(up.queued), got)
		empty := up.simsDone && up.gatewaysDone && up.held == 0 && up.queued == 0
		where := func() string {
			w := fmt.Sprintf("devices hold %d unacknowledged, gateways queue %d, the sink has %d of %d acknowledged", up.held, up.queued, got, want)
			if !up.simsDone {
				w += "; not every simulator answered"
			}
			if !up.gatewaysDone {
				w += "; not every gateway answered"
			}
			return w
		}
		switch {
		case empty && !w.Spec.Sink:
			say("drained: the devices hold nothing unacknowledged (no sink to wait for)")
			return nil
		case empty && got >= want:
			say("drained: %d acknowledged, %d received by the sink", want, got)
			return nil
		case empty && settled >= drainSettle:
			say("drained: nothing held upstream; the sink has %d of %d acknowledged and stopped receiving %s ago (the rest is judged as lost)",
				got, want, drainSettle)
			return nil
		case !empty && stalled >= drainStall:
			return fmt.Errorf("not drained: nothing moved for %s: %s", drainStall, where())
		case time.Now().After(deadline):
			return fmt.Errorf("not drained after %s: %s", timeout, where())
		}
		if !sleep.Until(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
	}
}

// last is a counter series' latest value (0 when empty).
func last(s []slo.CountSample) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].V
}

// measure turns what the run observed into the measurements objectives are
// judged on.
func measure(ctx context.Context, sc *scenarios.Scenario, w *workload.Workload, mon *monitor, probe *slo.RescheduleProbe,
	played []Occurrence, t0 time.Time, base *accounting.Histogram, checks *healChecks, read workload.NodeFileReader, say func(string, ...any)) (slo.Measurements, error) {
	dev, _, _, rep, steady := mon.snapshot()
	m := slo.Measurements{Faults: map[string][]slo.Result{}}
	av := slo.MeasureAvailability(dev, slo.Window{Start: t0, End: t0.Add(sc.Spec.Duration.Std())}, availabilityGrace)
	m.Run.Availability = &av
	if w.Spec.Sink && w.Spec.DeviceSim {
		d, err := delivery(ctx, w, mon, base, read, say)
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
	checked := needsConsistency(sc.Spec.Objectives)

	runEnd := t0.Add(sc.Spec.Duration.Std())
	for _, o := range played {
		r := slo.Result{}
		win := slo.Window{Start: o.Start, End: o.End}
		a := slo.MeasureAvailability(dev, win, availabilityGrace)
		if o.Kind == scenarios.RollingUpdate {
			a.MinReady = o.MinReady
			if !a.MinReady.Known && a.MinReady.Reason == "" {
				a.MinReady = slo.Unknown("the rollout did not complete")
			}
		}
		r.Availability = &a
		rec := slo.Recovery{
			Total:          slo.MeasureRecovery(o.End, nextStart(played, o.End, runEnd), steady, recoverySamples),
			CatchUp:        catchUp(o.End, w.Spec, mon),
			DuplicatePods:  slo.Unknown("not checked: no objective asked"),
			StaleEndpoints: slo.Unknown("not checked: no objective asked"),
		}
		if checked {
			rec.DuplicatePods, rec.StaleEndpoints = checks.values(o)
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
func delivery(ctx context.Context, w *workload.Workload, mon *monitor, base *accounting.Histogram, read workload.NodeFileReader, say func(string, ...any)) (slo.Delivery, error) {
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
		P50: quantile(lat, 0.50), P99: quantile(lat, 0.99), Max: quantile(lat, 1), Measured: measured(lat),
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
	src := tailSources{earlier: mon.lastDevices()}
	if src.final, err = w.Devices(ctx, true); err != nil {
		return slo.Delivery{}, fmt.Errorf("collecting device counters: %w", err)
	}
	if src.ledgers, src.unread, err = w.Ledgers(ctx, read); err != nil {
		return slo.Delivery{}, err
	}
	tails, st := deviceTails(src, next)
	if st.fromLedger > 0 || st.unread > 0 {
		say("tail check: %d device boots not readable live taken from the simulators' ledgers; %d not established", st.fromLedger, st.unread)
	}
	return slo.MeasureDelivery(totals, tails), nil
}

// tailSources are the readings a device boot's acknowledged count is
// taken from; for each boot the highest count found counts.
type tailSources struct {
	// final are the simulators read live after the devices stopped.
	final []workload.DeviceCounters
	// ledgers are the simulators' ledgers read from the nodes after the
	// run: they cover processes that were killed, evicted or powered off
	// before they could be read again.
	ledgers []workload.Ledger
	// unread are the nodes whose ledgers could not be read, with why.
	unread map[string]error
	// earlier is the last polled reading of every simulator process.
	earlier map[string]workload.DeviceCounters
}

// tailStats counts where deviceTails found the boots it could not read live.
type tailStats struct{ fromLedger, unread int }

// deviceTails pairs every device boot with the sink's next seq for it (next
// is keyed device/boot). A boot read live at the end or found in a ledger is
// established; one known only from an earlier poll (its simulator became
// unreachable, then vanished, and its node's ledger could not be read)
// carries the reason in Unread, which makes lost Unknown: what it
// acknowledged after that poll is not known.
func deviceTails(src tailSources, next map[string]uint64) ([]slo.DeviceTail, tailStats) {
	type entry struct {
		tail        slo.DeviceTail
		established bool
		node        string
	}
	byKey := map[string]*entry{}
	var order []string
	var st tailStats
	add := func(rows []workload.DeviceRow, established bool, node string) {
		for _, d := range rows {
			boot := strconv.FormatUint(d.Boot, 10)
			key := d.ID + "/" + boot
			e, ok := byKey[key]
			if !ok {
				e = &entry{tail: slo.DeviceTail{Device: d.ID, Boot: boot, NextSeq: next[key]}, node: node}
				byKey[key] = e
				order = append(order, key)
				if established && node != "" {
					st.fromLedger++
				}
			}
			e.tail.Acked = max(e.tail.Acked, d.Acked)
			e.established = e.established || established
		}
	}
	for _, s := range src.final {
		add(s.PerDevice, true, "")
	}
	for _, l := range src.ledgers {
		add(l.Rows, true, l.Node)
	}
	for _, k := range slices.Sorted(maps.Keys(src.earlier)) {
		add(src.earlier[k].PerDevice, false, src.earlier[k].Node)
	}
	// A boot only the sink knows (a process that was never polled, whose
	// ledger was not found) has an acknowledged count no one read.
	for _, k := range slices.Sorted(maps.Keys(next)) {
		if byKey[k] != nil {
			continue
		}
		id, boot, _ := strings.Cut(k, "/")
		byKey[k] = &entry{tail: slo.DeviceTail{Device: id, Boot: boot, NextSeq: next[k]}}
		order = append(order, k)
	}
	tails := make([]slo.DeviceTail, 0, len(order))
	for _, k := range order {
		e := byKey[k]
		if !e.established {
			st.unread++
			err, ok := src.unread[e.node]
			switch {
			case e.node == "":
				e.tail.Unread = fmt.Sprintf("received by the sink, but no reading and no ledger holds it (nodes not read: %v)", src.unread)
			case ok:
				e.tail.Unread = fmt.Sprintf("last polled on node %s, whose ledgers could not be read: %v", e.node, err)
			default:
				e.tail.Unread = fmt.Sprintf("last polled on node %s, and no ledger holds it", e.node)
			}
		}
		tails = append(tails, e.tail)
	}
	return tails, st
}

// catchUp is the time from a fault's end until its backlog arrived,
// wherever it was held: the gateways' queues back to ordinary depth (one
// zone's backlog, which fleet-wide totals hide behind other zones'
// traffic) and the sink holding everything the devices had had
// acknowledged by the fault's end (a backlog in the broker while the sink
// was down). Unknown when either is.
func catchUp(end time.Time, s workload.Spec, mon *monitor) slo.Value {
	_, recv, acked, _, _ := mon.snapshot()
	atSink := slo.MeasureCatchUp(end, recv, acked)
	if !s.Gateway {
		return atSink
	}
	return slo.Latest(slo.MeasureDrain(end, mon.queue.Points(), normalBacklog(s)), atSink)
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

// measured is how many observations h holds.
func measured(h *accounting.Histogram) uint64 {
	if h == nil {
		return 0
	}
	return h.Total
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
