package scenarios

import (
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// Defaults applied by Default.
const (
	// DefaultSettle is the observation time after the last fault ends that a
	// defaulted spec.duration leaves for recovery objectives.
	DefaultSettle = 2 * time.Minute
	// DefaultPayloadBytes is the default device message payload size.
	DefaultPayloadBytes = 256
	// DefaultQoS is the default MQTT QoS, at-least-once.
	DefaultQoS = 1
	// DefaultSinkReplicas is the default sink replica count without an HPA;
	// two, so a single pod loss does not stop delivery.
	DefaultSinkReplicas = 2
	// DefaultBandwidthLimit is the default tbf queue limit in bytes at layer
	// node.
	DefaultBandwidthLimit = 65536
	// DefaultBandwidthBuffer is the default tbf bucket size in bytes at
	// layer node, as in Chaos Mesh's examples.
	DefaultBandwidthBuffer = 10000
)

// Default fills in every optional field left empty, in place. Load calls it
// before Validate; it never overwrites a value that was set, and calling it
// twice changes nothing.
func (s *Scenario) Default() {
	sp := &s.Spec
	// A plain subscription gives every sink replica every message.
	if o, sk := sp.Observe, sp.Workload.Sink; o != nil && sk != nil && !o.Shared && sk.Replicas == nil && sk.HPA == nil {
		sk.Replicas = ptr[int32](1)
	}
	sp.Workload.defaults()
	if d := sp.Devices; d != nil {
		d.defaults()
	}
	if o := sp.Observe; o != nil {
		o.MQTTClient.defaults()
		// Fields not named here are where the devices put them.
		var sent *JSONFields
		if d := sp.Devices; d != nil {
			sent = d.JSON
		}
		switch {
		case o.JSON == nil && sent != nil:
			o.JSON = ptr(*sent)
		case o.JSON != nil:
			if sent == nil {
				sent = &JSONFields{}
				sent.defaults()
			}
			o.JSON.fill(*sent)
		}
	}
	for i := range sp.Faults {
		sp.Faults[i].defaults()
	}
	for i := range sp.Probes {
		sp.Probes[i].defaults()
	}
	s.defaultCluster()
	if sp.Duration == 0 {
		var end time.Duration
		for i := range sp.Faults {
			end = max(end, sp.Faults[i].LatestEnd())
		}
		sp.Duration = Duration(end + DefaultSettle)
	}
	for i := range sp.Objectives {
		s.defaultObjective(&sp.Objectives[i])
	}
}

// defaultCluster sizes the cluster to what the faults need.
func (s *Scenario) defaultCluster() {
	c := &s.Spec.Cluster
	if c.Provider == "" {
		c.Provider = ProviderAny
	}
	if c.Timers == "" {
		c.Timers = TimersFastFailure
	}
	var need Requirements
	for i := range s.Spec.Faults {
		need = need.Merge(s.Spec.Faults[i].Requirements())
	}
	if c.Nodes == 0 {
		c.Nodes = max(need.MinNodes, 1)
	}
	if c.Zones == 0 {
		c.Zones = max(need.MinZones, 1)
	}
}

func (w *WorkloadSpec) defaults() {
	if w.Broker == nil && w.Gateway == nil && w.DeviceSim == nil && w.Sink == nil && !w.HasApplication() {
		w.Broker, w.Gateway, w.DeviceSim, w.Sink = &FixtureSpec{}, &FixtureSpec{}, &FixtureSpec{}, &SinkSpec{}
	}
	for _, f := range []*FixtureSpec{w.Broker, w.Gateway, w.DeviceSim} {
		if f != nil && f.Replicas == nil {
			f.Replicas = ptr[int32](1)
		}
	}
	if sk := w.Sink; sk != nil {
		if h := sk.HPA; h != nil && h.MinReplicas == 0 {
			h.MinReplicas = 1
		}
		if sk.Replicas == nil {
			if sk.HPA != nil {
				sk.Replicas = ptr(sk.HPA.MinReplicas)
			} else {
				sk.Replicas = ptr[int32](DefaultSinkReplicas)
			}
		}
	}
}

// Deployed reports whether the workload deploys fixture f.
func (w *WorkloadSpec) Deployed(f Fixture) bool {
	switch f {
	case FixtureBroker:
		return w.Broker != nil
	case FixtureGateway:
		return w.Gateway != nil
	case FixtureDeviceSim:
		return w.DeviceSim != nil
	case FixtureSink:
		return w.Sink != nil
	}
	return false
}

func (d *DeviceSpec) defaults() {
	if d.Pattern == "" {
		d.Pattern = DeviceSteady
	}
	if d.PayloadBytes == 0 {
		d.PayloadBytes = DefaultPayloadBytes
	}
	if d.QoS == nil {
		d.QoS = ptr[int32](DefaultQoS)
	}
	if d.Endpoint != nil {
		d.Endpoint.MQTTClient.defaults()
	}
	if j := d.JSON; j != nil {
		j.defaults()
	}
}

func (j *JSONFields) defaults() {
	j.fill(JSONFields{Device: "device", Boot: "boot", Sequence: "seq", Timestamp: "ts"})
}

// fill sets the empty names to those of def.
func (j *JSONFields) fill(def JSONFields) {
	for _, f := range []struct {
		v   *string
		def string
	}{{&j.Device, def.Device}, {&j.Boot, def.Boot}, {&j.Sequence, def.Sequence}, {&j.Timestamp, def.Timestamp}} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
}

func (f *Fault) defaults() {
	if t := f.Target; t != nil && t.Pods == nil && t.Mode == "" && (t.Zone != "" || len(t.NodeSelector) > 0) {
		t.Mode = v1alpha1.AllMode
	}
	switch f.Kind {
	case NodeIsolate, ZonePartition:
		if f.Isolation == nil {
			f.Isolation = &IsolationParams{}
		}
		if f.Isolation.Direction == "" {
			f.Isolation.Direction = DirectionBoth
		}
	case KubeletStop, RuntimeStop:
		if f.Process == nil {
			f.Process = &ProcessParams{}
		}
		if f.Process.Signal == "" {
			f.Process.Signal = SignalTerm
		}
	case UplinkShape, UplinkFlap:
		if f.Uplink == nil {
			f.Uplink = &UplinkParams{}
		}
		if f.Uplink.Layer == "" {
			f.Uplink.Layer = LayerNode
		}
		if b := f.Uplink.Bandwidth; b != nil && f.Uplink.Layer == LayerNode {
			if b.Limit == 0 {
				b.Limit = DefaultBandwidthLimit
			}
			if b.Buffer == 0 {
				b.Buffer = DefaultBandwidthBuffer
			}
		}
	case Stress:
		if s := f.Stress; s != nil && s.CPU != nil && s.CPU.Load == nil {
			s.CPU.Load = ptr[int32](100)
		}
	case DeviceStorm:
		if f.Storm == nil {
			f.Storm = &StormParams{}
		}
	case RollingUpdate:
		if r := f.Rollout; r != nil && r.Object == nil {
			unavailable, surge := int32(0), int32(1)
			if r.Fixture.surgeForbidden() != "" {
				unavailable, surge = 1, 0
			}
			if r.MaxUnavailable == nil {
				r.MaxUnavailable = ptr(unavailable)
			}
			if r.MaxSurge == nil {
				r.MaxSurge = ptr(surge)
			}
		}
	}
}

// defaultObjective fills in the comparison and, when exactly one fault
// qualifies, the fault reference.
func (s *Scenario) defaultObjective(o *Objective) {
	if o.Op == "" {
		o.Op = o.Metric.ImpliedOp()
	}
	if o.Fault != "" || !o.needsFault() {
		return
	}
	if c := s.Spec.eligibleFaults(o); len(c) == 1 {
		o.Fault = c[0]
	}
}

// DefaultProbeInterval is a probe's interval when none is given.
const DefaultProbeInterval = Duration(time.Second)

func (p *Probe) defaults() {
	if p.Interval == 0 {
		p.Interval = DefaultProbeInterval
	}
	if p.Timeout == 0 {
		p.Timeout = p.Interval
	}
	if p.HTTP != nil && p.HTTP.Path == "" {
		p.HTTP.Path = "/"
	}
	if m := p.MQTT; m != nil {
		m.MQTTClient.defaults()
		if m.Topic == "" {
			m.Topic = "edgeproof/probe/" + p.Name
		}
		if m.QoS == nil {
			m.QoS = ptr[int32](DefaultQoS)
		}
	}
}

func (c *MQTTClient) defaults() {
	if c.Protocol == "" {
		c.Protocol = MQTT311
	}
}

// needsFault reports whether o is measured only around a fault: reschedule
// and recovery objectives, and minReady (during a rollout).
func (o *Objective) needsFault() bool {
	return o.Kind == ObjectiveReschedule || o.Kind == ObjectiveRecovery || o.Metric == MetricMinReady
}

// eligible reports whether o can be anchored to a fault of kind k.
func (o *Objective) eligible(k FaultKind) bool {
	switch {
	case o.Kind == ObjectiveReschedule:
		return k.MakesNodeUnready()
	case o.Metric == MetricMinReady:
		return k == RollingUpdate
	}
	return true
}

// eligibleFaults names the faults objective o can measure.
func (sp *Spec) eligibleFaults(o *Objective) []string {
	var out []string
	for _, f := range sp.Faults {
		if o.eligible(f.Kind) {
			out = append(out, f.Name)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
