package scenarios

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	s, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := s.Spec.Workload
	for _, f := range fixtures {
		if !w.Deployed(f) {
			t.Errorf("fixture %s not deployed by default", f)
		}
	}
	if *w.Broker.Replicas != 1 || *w.Gateway.Replicas != 1 || *w.DeviceSim.Replicas != 1 || *w.Sink.Replicas != DefaultSinkReplicas {
		t.Errorf("replica defaults wrong: %d %d %d %d", *w.Broker.Replicas, *w.Gateway.Replicas, *w.DeviceSim.Replicas, *w.Sink.Replicas)
	}
	d := s.Spec.Devices
	if d.Pattern != DeviceSteady || d.PayloadBytes != DefaultPayloadBytes || *d.QoS != DefaultQoS {
		t.Errorf("device defaults wrong: %+v", *d)
	}
	c := s.Spec.Cluster
	if c.Nodes != 1 || c.Zones != 1 || c.Provider != ProviderAny || c.Timers != TimersFastFailure || c.Arch != "" {
		t.Errorf("cluster defaults wrong: %+v", c)
	}
	if s.Spec.Duration.Std() != DefaultSettle {
		t.Errorf("duration = %v, want %v", s.Spec.Duration, DefaultSettle)
	}
	if o := s.Spec.Objectives[0]; o.Op != AtMost {
		t.Errorf("op = %q, want implied <=", o.Op)
	}
}

func TestDefaultsFromFaults(t *testing.T) {
	s, err := LoadBytes("x.yaml", []byte(header+`spec:
  devices: {count: 1, rate: 1}
  faults:
  - {name: iso, kind: node-isolate, at: 1m, duration: 30s, target: {nodes: [a, b]}}
  - {name: part, kind: zone-partition, at: 2m, duration: 30s, target: {zone: edge-b}}
  - {name: shape, kind: uplink-shape, at: 3m, duration: 1m, target: {zone: edge-a}, uplink: {bandwidth: {rate: 1mbit}}}
  - {name: roll, kind: rolling-update, at: 5m, rollout: {fixture: sink}}
  - {name: roll-sims, kind: rolling-update, at: 5m, rollout: {fixture: devicesim}}
  objectives:
  - {name: r, kind: reschedule, metric: total, fault: iso, budget: 15s}
  - {name: m, kind: availability, metric: minReady, fault: roll, budget: 1}
  - {name: c, kind: recovery, metric: total, fault: part, budget: 15s}
  - {name: l, kind: delivery, metric: lost, budget: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Spec.Faults
	if f[0].Isolation.Direction != DirectionBoth || f[1].Isolation.Direction != DirectionBoth {
		t.Error("isolation direction not defaulted to both")
	}
	if f[1].Target.Mode != "all" {
		t.Errorf("zone target mode = %q, want all", f[1].Target.Mode)
	}
	if u := f[2].Uplink; u.Layer != LayerNode || u.Bandwidth.Limit != DefaultBandwidthLimit || u.Bandwidth.Buffer != DefaultBandwidthBuffer {
		t.Errorf("uplink defaults wrong: %+v %+v", u, u.Bandwidth)
	}
	// A StatefulSet cannot surge; a Deployment surges by default.
	if r := f[3].Rollout; *r.MaxSurge != 0 || *r.MaxUnavailable != 1 {
		t.Errorf("sink rollout defaults wrong: surge %d unavailable %d", *r.MaxSurge, *r.MaxUnavailable)
	}
	if r := f[4].Rollout; *r.MaxSurge != 1 || *r.MaxUnavailable != 0 {
		t.Errorf("devicesim rollout defaults wrong: surge %d unavailable %d", *r.MaxSurge, *r.MaxUnavailable)
	}
	// Two named nodes plus one spare to reschedule onto; a partitioned zone
	// plus a surviving one.
	if c := s.Spec.Cluster; c.Nodes != 3 || c.Zones != 2 {
		t.Errorf("cluster = %d nodes, %d zones; want 3, 2", c.Nodes, c.Zones)
	}
	if got, want := s.Spec.Duration.Std(), 5*time.Minute+DefaultSettle; got != want {
		t.Errorf("duration = %v, want %v", got, want)
	}
}

func TestDefaultObjectiveFault(t *testing.T) {
	s, err := LoadBytes("x.yaml", []byte(header+`spec:
  faults:
  - {name: cut, kind: node-power-loss, duration: 30s, target: {nodes: [a]}}
  - {name: kill, kind: pod-kill, target: {pods: {selector: {labelSelectors: {a: b}}, mode: one}}}
  devices: {count: 1, rate: 1}
  objectives:
  - {name: r, kind: reschedule, metric: total, budget: 15s}
  - {name: l, kind: delivery, metric: lost, budget: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Spec.Objectives[0].Fault; got != "cut" {
		t.Errorf("fault = %q, want the only node fault", got)
	}
	_, err = LoadBytes("x.yaml", []byte(header+`spec:
  faults:
  - {name: cut, kind: node-power-loss, duration: 30s, target: {nodes: [a]}}
  - {name: kill, kind: pod-kill, target: {pods: {selector: {labelSelectors: {a: b}}, mode: one}}}
  devices: {count: 1, rate: 1}
  objectives:
  - {name: r, kind: recovery, metric: total, budget: 15s}
  - {name: l, kind: delivery, metric: lost, budget: 0}
`))
	want := "x.yaml:11:5: spec.objectives[0].fault: required: several faults qualify (cut, kill); name the one this objective measures"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestMinReadyDefaultsToTheOnlyRollout(t *testing.T) {
	s, err := LoadBytes("x.yaml", []byte(header+`spec:
  devices: {count: 1, rate: 1}
  faults:
  - {name: kill, kind: pod-kill, at: 1m, target: {pods: {selector: {labelSelectors: {app.kubernetes.io/name: sink}}, mode: one}}}
  - {name: roll, kind: rolling-update, at: 2m, rollout: {fixture: sink}}
  objectives:
  - {name: serving, kind: availability, metric: minReady, budget: 1}
  - {name: l, kind: delivery, metric: lost, budget: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Spec.Objectives[0]; o.Fault != "roll" || o.Op != AtLeast {
		t.Errorf("minReady objective = fault %q op %q, want roll and >=", o.Fault, o.Op)
	}
}
