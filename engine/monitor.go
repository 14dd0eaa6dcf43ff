package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/slo"
)

// monitor polls the workload and the cluster at a fixed period and keeps
// the samples the objectives are computed from, and the series the report
// charts.
//
// Fixture counters are per process and restart from zero when a pod is
// replaced, so totals are sums over every pod ever seen of its latest
// reading: a simulator that died with its node keeps contributing what it
// counted before.
type monitor struct {
	w       *workload.Workload
	period  time.Duration
	devices int     // simulated devices in the spec
	rate    float64 // messages/s per device before any load factor

	mu        sync.Mutex
	factor    float64                            // current device-load factor
	simLast   map[string]workload.DeviceCounters // by processKey
	sinkLast  map[string]uint64                  // received per sink pod
	devSample []slo.DeviceSample
	received  []slo.CountSample
	acked     []slo.CountSample
	replicas  []slo.ReplicaSample
	steady    []slo.SteadySample
	// startBlockers names what the last sample lacked to start the
	// timeline: the steady conditions plus every gateway's uplink
	// connected. The uplink is not part of steady itself, whose recovery
	// budgets are calibrated without it.
	startBlockers []string
	// unreadable says why the sink can read none of what it receives
	// (a wrong field path at spec.observe); "" otherwise.
	unreadable string

	queue, availability, latency, lost, ready, steadyRec *slo.Recorder
}

func newMonitor(w *workload.Workload, period time.Duration) *monitor {
	return &monitor{
		w: w, period: period, devices: w.Spec.DevicesPerPod() * w.Spec.SimPods(), rate: w.Spec.Rate, factor: 1,
		simLast: map[string]workload.DeviceCounters{}, sinkLast: map[string]uint64{},
		queue:        slo.NewRecorder("gateway queue depth", "messages"),
		availability: slo.NewRecorder("acknowledged per second", "msg/s"),
		latency:      slo.NewRecorder("sink p99 latency, last 10-20 s", "ms"),
		lost:         slo.NewRecorder("acknowledged, not yet at the sink", "messages"),
		ready:        slo.NewRecorder("sink replicas ready", "pods"),
		steadyRec:    slo.NewRecorder("steady (1) or not (0)", "state"),
	}
}

func (m *monitor) setFactor(f float64) {
	m.mu.Lock()
	m.factor = f
	m.mu.Unlock()
}

// run samples until ctx ends.
func (m *monitor) run(ctx context.Context) {
	t := time.NewTicker(m.period)
	defer t.Stop()
	for {
		m.sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// heldUpstream is what one sample found held upstream of the sink, for the
// drain: complete only when every deployed simulator and gateway answered.
type heldUpstream struct {
	held, queued           int64 // messages devices hold, gateways queue
	simsDone, gatewaysDone bool  // every simulator, every gateway answered
}

// sample takes one reading of everything; parts that fail (a pod on a lost
// node) keep their previous values. It returns what is held upstream.
func (m *monitor) sample(ctx context.Context) heldUpstream {
	now := time.Now()
	var (
		wg                  sync.WaitGroup
		sims                []workload.DeviceCounters
		sums                map[string]sinkSummary
		gws                 []workload.GatewayStats
		gwComplete          bool
		simsComplete        bool
		nodesOK, fixturesOK bool
		desired, readyRep   int32
	)
	// A panic in a reading is carried to this goroutine, whose caller
	// recovers it (the engine's monitor goroutine) or unwinds through the
	// run's deferred teardown (the drain).
	var panicked atomic.Pointer[panicError]
	read := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					panicked.CompareAndSwap(nil, newPanicError("the monitor", v))
				}
			}()
			fn()
		}()
	}
	// Device rows come along so that a simulator lost with its node can
	// still be tail-checked at the end against its last reading.
	read(func() {
		var err error
		sims, err = m.w.Devices(ctx, true)
		simsComplete = err == nil && len(sims) >= m.w.Spec.SimPods()
	})
	read(func() { sums = m.sinkSummaries(ctx) })
	read(func() { gws, gwComplete = m.gateways(ctx) })
	read(func() { nodesOK = m.nodesReady(ctx) })
	read(func() {
		fixturesOK, _ = m.w.Ready(ctx)
		desired, readyRep = m.sinkReplicas(ctx)
	})
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(p)
	}
	if ctx.Err() != nil {
		return heldUpstream{}
	}
	up := heldUpstream{simsDone: simsComplete, gatewaysDone: gwComplete}
	for _, s := range sims {
		up.held += s.Buffered
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range sims {
		m.simLast[processKey(s)] = s
	}
	var ds slo.DeviceSample
	ds.T = now
	connected := int64(0)
	for _, s := range m.simLast {
		ds.Generated += s.Generated
		ds.Acknowledged += s.Acknowledged
		ds.Buffered += s.Buffered
		ds.LongestAckGapMs = max(ds.LongestAckGapMs, s.LongestAckGapMs)
		ds.LongestDeviceWaitMs = max(ds.LongestDeviceWaitMs, s.LongestDeviceWaitMs)
		ds.DeviceWaitMs = max(ds.DeviceWaitMs, s.DeviceWaitMs)
		ds.LastAckUnixMs = max(ds.LastAckUnixMs, s.LastAckUnixMs)
	}
	for _, s := range sims {
		connected += s.Connected
	}
	var p99 float64
	for pod, s := range sums {
		m.sinkLast[pod] = s.received
		p99 = max(p99, s.p99ms)
	}
	var received uint64
	for _, v := range m.sinkLast {
		received += v
	}
	m.unreadable = unreadable(sums, received)
	var depth int64
	for _, g := range gws {
		depth += g.QueueDepth
	}
	up.queued = depth
	if n := len(m.devSample); n > 0 {
		prev := m.devSample[n-1]
		if dt := now.Sub(prev.T).Seconds(); dt > 0 {
			m.availability.Add(now, float64(ds.Acknowledged-min(prev.Acknowledged, ds.Acknowledged))/dt)
		}
	}
	m.devSample = append(m.devSample, ds)
	m.received = append(m.received, slo.CountSample{T: now, V: received})
	// Acknowledged totals missing a simulator (its node cut off or lost)
	// would set catch-up targets too low: only complete readings count.
	if simsComplete {
		m.acked = append(m.acked, slo.CountSample{T: now, V: ds.Acknowledged})
	}
	m.replicas = append(m.replicas, slo.ReplicaSample{T: now, Desired: desired, Ready: readyRep})
	// A queue sample missing a gateway (its node cut off, powered off or
	// NotReady) is not taken: reading the others as the total would show
	// a backlog as drained.
	if gwComplete {
		m.queue.Add(now, float64(depth))
	}
	m.latency.Add(now, p99)
	// Acknowledged to devices but not yet received: the backlog in
	// gateways and the broker, and what is lost if it never arrives. (Each
	// sink replica's own "missing" count is meaningless under a shared
	// subscription, where the other replicas hold the gaps.)
	if simsComplete {
		m.lost.Add(now, float64(ds.Acknowledged)-float64(min(received, ds.Acknowledged)))
	}
	m.ready.Add(now, float64(readyRep))

	// Steady: every node Ready, every fixture Ready, every device
	// connected, and the sink taking in at least half the publish rate
	// over the last five seconds.
	unsteady := steadyBlockers(nodesOK, fixturesOK, connected, int64(m.devices), m.flowing(now, received))
	steady := len(unsteady) == 0
	m.startBlockers = append(unsteady, uplinkBlockers(gws)...)
	m.steady = append(m.steady, slo.SteadySample{T: now, Steady: steady})
	m.steadyRec.Add(now, map[bool]float64{false: 0, true: 1}[steady])
	return up
}

// unreadable says why the sink reads none of what it receives, once it
// has received enough to tell; "" while it reads anything.
func unreadable(sums map[string]sinkSummary, received uint64) string {
	if received > 0 {
		return ""
	}
	var bad uint64
	why := ""
	for _, s := range sums {
		bad += s.malformed
		why = cmp.Or(why, s.lastMalformed)
	}
	if bad < unreadableAfter {
		return ""
	}
	return fmt.Sprintf("the sink could read none of the %d messages it received (last: %s)", bad, why)
}

// gateways polls every gateway and reports whether all answered: one per
// edge node of the workload's zones, as deployed. (The DaemonSets' own
// desired count drops while a node is cut off, which would make the
// gateways that still answer look like all of them.)
func (m *monitor) gateways(ctx context.Context) ([]workload.GatewayStats, bool) {
	if !m.w.Spec.Gateway {
		return nil, true
	}
	gws, err := m.w.Gateways(ctx)
	return gws, err == nil && len(gws) >= m.w.Spec.SimPods()
}

// flowing reports whether the sink received at least half of what the
// devices publish over the last five seconds of samples; true without a
// sink.
func (m *monitor) flowing(now time.Time, received uint64) bool {
	if m.devices == 0 || !m.w.Spec.Sink {
		return true // nothing of ours receives: devices publish to the user's endpoint
	}
	var base slo.CountSample
	found := false
	for i := len(m.received) - 1; i >= 0; i-- {
		if now.Sub(m.received[i].T) >= 5*time.Second {
			base, found = m.received[i], true
			break
		}
	}
	if !found {
		return false
	}
	want := float64(m.devices) * m.rate * m.factor * now.Sub(base.T).Seconds()
	return float64(received-min(base.V, received)) >= want/2
}

type sinkSummary struct {
	received, malformed uint64
	p99ms               float64
	lastMalformed       string
}

// unreadableAfter is how many unreadable messages, with none read, show
// that the sink cannot read what arrives; a few could be someone else's
// messages on the same topic.
const unreadableAfter = 10

func (m *monitor) sinkSummaries(ctx context.Context) map[string]sinkSummary {
	if !m.w.Spec.Sink {
		return nil
	}
	sums, _ := m.w.SinkSummaries(ctx)
	out := map[string]sinkSummary{}
	for pod, s := range sums {
		// The recent window: the since-start p99 of a sink pod carries its
		// start-up for the whole run and hides when a stall happened.
		out[pod] = sinkSummary{received: s.Totals.Received, malformed: s.Totals.Malformed, p99ms: s.Recent.P99, lastMalformed: s.LastMalformed}
	}
	return out
}

func (m *monitor) nodesReady(ctx context.Context) bool {
	nodes, err := m.w.Client().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	for i := range nodes.Items {
		if !clusters.NodeReady(&nodes.Items[i]) {
			return false
		}
	}
	return true
}

// sinkReplicas returns the HPA's desired count (the StatefulSet's when
// there is no HPA) and the Ready sink replicas.
func (m *monitor) sinkReplicas(ctx context.Context) (desired, ready int32) {
	if !m.w.Spec.Sink {
		return 0, 0
	}
	ns := m.w.Spec.Namespace
	cs := m.w.Client()
	st, err := cs.AppsV1().StatefulSets(ns).Get(ctx, workload.Sink, metav1.GetOptions{})
	if err != nil {
		return 0, 0
	}
	desired, ready = ptr.Deref(st.Spec.Replicas, 1), st.Status.ReadyReplicas
	if m.w.Spec.HPA != nil {
		var hpa *autoscalingv2.HorizontalPodAutoscaler
		if hpa, err = cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, workload.Sink, metav1.GetOptions{}); err == nil {
			desired = hpa.Status.DesiredReplicas
		}
	}
	return desired, ready
}

// processKey names one simulator process: its pod and the boot of its
// first device (boots are random per process), so that a restarted
// container's earlier boots keep their last reading beside the new ones.
func processKey(s workload.DeviceCounters) string {
	if len(s.PerDevice) == 0 {
		return s.Pod
	}
	return s.Pod + "/" + strconv.FormatUint(s.PerDevice[0].Boot, 16)
}

// lastDevices is the latest reading of every simulator process seen.
func (m *monitor) lastDevices() map[string]workload.DeviceCounters {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.simLast)
}

// snapshot returns copies of the samples.
func (m *monitor) snapshot() (dev []slo.DeviceSample, recv, acked []slo.CountSample, rep []slo.ReplicaSample, steady []slo.SteadySample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]slo.DeviceSample(nil), m.devSample...), append([]slo.CountSample(nil), m.received...),
		append([]slo.CountSample(nil), m.acked...), append([]slo.ReplicaSample(nil), m.replicas...),
		append([]slo.SteadySample(nil), m.steady...)
}

// series returns the charts for the report.
func (m *monitor) series() []reports.Series {
	return []reports.Series{m.availability.Series(), m.latency.Series(), m.lost.Series(), m.queue.Series(), m.ready.Series(), m.steadyRec.Series()}
}

// startable reports whether the last sample allows the timeline to start,
// and if not, what it lacked.
func (m *monitor) startable() (bool, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.steady) == 0 {
		return false, []string{"no sample yet"}
	}
	return len(m.startBlockers) == 0, m.startBlockers
}

// cannotStart is why waiting longer for steady state is pointless ("" if
// it is not).
func (m *monitor) cannotStart() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.unreadable
}

// steadyBlockers lists the unmet steady conditions of one sample; the
// sample is steady when there are none.
func steadyBlockers(nodesOK, fixturesOK bool, connected, devices int64, flowing bool) []string {
	var out []string
	if !nodesOK {
		out = append(out, "a node is not Ready")
	}
	if !fixturesOK {
		out = append(out, "a fixture is not Ready")
	}
	if devices > 0 && connected < devices {
		out = append(out, fmt.Sprintf("%d of %d devices connected", connected, devices))
	}
	if !flowing {
		out = append(out, "the sink receives less than half the publish rate")
	}
	return out
}

// uplinkBlockers names the gateways whose uplink is down. A gateway still
// connecting holds its devices' messages: starting the timeline then would
// judge the scenario on start-up backlog.
func uplinkBlockers(gws []workload.GatewayStats) []string {
	var out []string
	for _, g := range gws {
		if !g.UplinkConnected {
			out = append(out, fmt.Sprintf("gateway %s uplink not connected", g.Pod))
		}
	}
	return out
}
