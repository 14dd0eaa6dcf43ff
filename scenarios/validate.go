package scenarios

import (
	"k8s.io/apimachinery/pkg/api/resource"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Limits checked by Validate.
const (
	// MaxRepeatCount bounds repeat.count.
	MaxRepeatCount = 1000
	// MaxDeviceRate bounds devices.rate, in messages per second per device.
	MaxDeviceRate = 1000
	// MaxPayloadBytes bounds devices.payloadBytes.
	MaxPayloadBytes = 1 << 20
	// MaxReplicas bounds replica counts and hpa.maxReplicas.
	MaxReplicas = 100
)

// Validate checks the scenario and returns every problem found, with field
// paths but without file positions (Load adds those). Call Default first:
// Validate checks the defaulted scenario and treats empty optional fields as
// errors where a default was expected.
func (s *Scenario) Validate() ErrorList {
	var errs ErrorList
	validateHeader(&errs, s.APIVersion, s.Kind, KindScenario, &s.Metadata)
	s.Spec.validate(&errs, "spec")
	return errs
}

// validateHeader checks the fields every edgeproof document starts with:
// apiVersion, kind (which must be kind) and metadata.
func validateHeader(errs *ErrorList, apiVersion, kind, want string, m *Metadata) {
	switch {
	case apiVersion == "":
		errs.required("apiVersion", "")
	case apiVersion != APIVersion:
		errs.add("apiVersion", ErrUnsupported, "unsupported value %q: must be %q", apiVersion, APIVersion)
	}
	switch {
	case kind == "":
		errs.required("kind", "")
	case kind != want:
		errs.add("kind", ErrUnsupported, "unsupported value %q: must be %q", kind, want)
	}
	m.validate(errs, "metadata")
}

func (m *Metadata) validate(errs *ErrorList, p fieldPath) {
	if m.Name == "" {
		errs.required(p.child("name"), "")
	} else {
		dns1123Label(errs, p.child("name"), m.Name)
	}
	validateLabels(errs, p.child("labels"), m.Labels)
}

func (sp *Spec) validate(errs *ErrorList, p fieldPath) {
	if sp.Duration <= 0 {
		errs.add(p.child("duration"), ErrInvalid, "must be > 0")
	}
	sp.Cluster.validate(errs, p.child("cluster"))
	sp.Workload.validate(errs, p.child("workload"))
	sp.Workload.validateApplication(errs, p.child("workload"))
	sp.validateProbes(errs, p.child("probes"))
	switch {
	case sp.Devices != nil:
		sp.Devices.validate(errs, p.child("devices"))
		if !sp.Workload.Deployed(FixtureDeviceSim) {
			errs.add(p.child("devices"), ErrInvalid, "devices need the devicesim fixture in spec.workload")
		}
	case sp.Workload.Deployed(FixtureDeviceSim):
		errs.required(p.child("devices"), "the devicesim fixture is deployed; give at least count and rate")
	}
	if d := sp.Devices; d != nil && d.Endpoint != nil && sp.Workload.Deployed(FixtureSink) && sp.Observe == nil {
		errs.add(p.child("devices", "endpoint"), ErrInvalid, "the sink fixture accounts what reaches the reference broker, which devices publishing to your endpoint bypass; "+
			"name where your pipeline delivers their data in spec.observe, or leave the sink out")
	}
	if o := sp.Observe; o != nil {
		sp.validateObserve(errs, p.child("observe"), o)
	}
	sp.validateFaults(errs, p.child("faults"))
	sp.validateCapacity(errs, p.child("cluster"))
	sp.validateObjectives(errs, p.child("objectives"))
	sp.validateDefect(errs, p.child("defect"))
}

// validateCapacity checks that explicit cluster minimums leave room for
// what the faults need, naming the most demanding fault.
func (sp *Spec) validateCapacity(errs *ErrorList, p fieldPath) {
	c := sp.Cluster
	var nodes, zones struct {
		need  int32
		fault string
	}
	for i := range sp.Faults {
		f := &sp.Faults[i]
		if !f.Kind.IsValid() {
			continue
		}
		r := f.Requirements()
		if r.MinNodes > nodes.need {
			nodes.need, nodes.fault = r.MinNodes, f.Name
		}
		if r.MinZones > zones.need {
			zones.need, zones.fault = r.MinZones, f.Name
		}
	}
	if c.Nodes > 0 && nodes.need > c.Nodes {
		errs.add(p.child("nodes"), ErrInvalid, "fault %q needs at least %d edge nodes (its targets, plus one to reschedule onto if it makes nodes unready)", nodes.fault, nodes.need)
	}
	if c.Zones > 0 && zones.need > c.Zones {
		errs.add(p.child("zones"), ErrInvalid, "fault %q needs at least %d edge zones (the one it cuts off and one to reschedule onto)", zones.fault, zones.need)
	}
}

func (c *ClusterSpec) validate(errs *ErrorList, p fieldPath) {
	if c.Nodes < 1 {
		errs.add(p.child("nodes"), ErrInvalid, "must be > 0")
	}
	if c.Zones < 1 {
		errs.add(p.child("zones"), ErrInvalid, "must be > 0")
	} else if c.Zones > c.Nodes && c.Nodes > 0 {
		errs.add(p.child("zones"), ErrInvalid, "%d zones need at least as many nodes, but nodes is %d", c.Zones, c.Nodes)
	}
	if c.Arch != "" && !slices.Contains(arches, c.Arch) {
		unsupported(errs, p.child("arch"), c.Arch, arches)
	}
	enum(errs, p.child("provider"), c.Provider, providers)
	enum(errs, p.child("profile"), c.Timers, timerSets)
}

func (w *WorkloadSpec) validate(errs *ErrorList, p fieldPath) {
	for _, f := range []struct {
		name Fixture
		spec *FixtureSpec
	}{{FixtureBroker, w.Broker}, {FixtureGateway, w.Gateway}, {FixtureDeviceSim, w.DeviceSim}} {
		if f.spec != nil {
			replicas(errs, p.child(string(f.name)).child("replicas"), f.spec.Replicas)
		}
	}
	sk := w.Sink
	if sk == nil {
		return
	}
	sp := p.child("sink")
	replicas(errs, sp.child("replicas"), sk.Replicas)
	if c := sk.CPURequest; c != "" {
		if q, err := resource.ParseQuantity(c); err != nil || q.Sign() <= 0 {
			errs.add(sp.child("cpuRequest"), ErrInvalid, "must be a positive CPU quantity such as \"100m\", got %q", c)
		}
	}
	if sk.WorkPerMessage < 0 {
		errs.add(sp.child("workPerMessage"), ErrInvalid, "must not be negative")
	}
	h := sk.HPA
	if h == nil {
		return
	}
	hp := sp.child("hpa")
	if h.MinReplicas < 1 {
		errs.add(hp.child("minReplicas"), ErrInvalid, "must be > 0")
	}
	switch {
	case h.MaxReplicas == 0:
		errs.required(hp.child("maxReplicas"), "")
	case h.MaxReplicas < h.MinReplicas:
		errs.add(hp.child("maxReplicas"), ErrInvalid, "must be >= minReplicas (%d)", h.MinReplicas)
	case h.MaxReplicas > MaxReplicas:
		errs.add(hp.child("maxReplicas"), ErrInvalid, "must be <= %d", MaxReplicas)
	}
	switch t := h.TargetCPUUtilizationPercentage; {
	case t == 0:
		errs.required(hp.child("targetCPUUtilizationPercentage"), "the average CPU use to aim for, 1-100")
	case t < 1 || t > 100:
		errs.add(hp.child("targetCPUUtilizationPercentage"), ErrInvalid, "must be from 1 to 100")
	}
	if r := sk.Replicas; r != nil && *r >= 1 && h.MinReplicas >= 1 && h.MaxReplicas >= h.MinReplicas &&
		(*r < h.MinReplicas || *r > h.MaxReplicas) {
		errs.add(sp.child("replicas"), ErrInvalid, "must be within hpa minReplicas..maxReplicas (%d..%d)", h.MinReplicas, h.MaxReplicas)
	}
}

func replicas(errs *ErrorList, p fieldPath, r *int32) {
	switch {
	case r == nil:
		errs.required(p, "")
	case *r < 1:
		errs.add(p, ErrInvalid, "must be > 0; leave the fixture out to not deploy it")
	case *r > MaxReplicas:
		errs.add(p, ErrInvalid, "must be <= %d", MaxReplicas)
	}
}

func (d *DeviceSpec) validate(errs *ErrorList, p fieldPath) {
	if d.Count <= 0 {
		errs.add(p.child("count"), ErrInvalid, "must be > 0")
	}
	switch {
	case d.Rate <= 0 || math.IsNaN(d.Rate):
		errs.add(p.child("rate"), ErrInvalid, "must be > 0")
	case d.Rate > MaxDeviceRate:
		errs.add(p.child("rate"), ErrInvalid, "must be <= %d messages/s per device", MaxDeviceRate)
	}
	enum(errs, p.child("profile"), d.Pattern, trafficPatterns)
	if d.PayloadBytes < 1 || d.PayloadBytes > MaxPayloadBytes {
		errs.add(p.child("payloadBytes"), ErrInvalid, "must be from 1 to %d", MaxPayloadBytes)
	}
	if d.QoS == nil || *d.QoS < 0 || *d.QoS > 2 {
		errs.add(p.child("qos"), ErrInvalid, "must be 0, 1 or 2")
	}
	if e := d.Endpoint; e != nil {
		probeService(errs, p.child("endpoint"), e.Service, e.Port)
		e.MQTTClient.validate(errs, p.child("endpoint"))
	}
	if strings.ContainsAny(d.Topic, "+#") {
		errs.add(p.child("topic"), ErrInvalid, "a publish topic cannot hold the wildcards + or #")
	}
	if j := d.JSON; j != nil {
		seen := map[string]string{}
		for _, f := range []struct{ name, v string }{{"device", j.Device}, {"boot", j.Boot}, {"sequence", j.Sequence}, {"timestamp", j.Timestamp}} {
			if strings.ContainsAny(f.v, ",.") {
				errs.add(p.child("json", f.name), ErrInvalid, "a field name cannot hold a comma or a dot")
			}
			if other, dup := seen[f.v]; dup {
				errs.add(p.child("json", f.name), ErrDuplicate, "field name %q is also json.%s", f.v, other)
			}
			seen[f.v] = f.name
		}
	}
}

// validateObserve checks the observation point: a Service and topic
// filter, the sink fixture to subscribe there, devices publishing to the
// user's endpoint, and as many sink replicas as the subscription allows.
func (sp *Spec) validateObserve(errs *ErrorList, p fieldPath, o *ObserveSpec) {
	probeService(errs, p, o.Service, o.Port)
	switch {
	case o.Topic == "":
		errs.required(p.child("topic"), "the topic filter your pipeline delivers the devices' data on")
	case strings.HasPrefix(o.Topic, "$share/"):
		errs.add(p.child("topic"), ErrInvalid, "give the filter without $share/...; set shared: true for a shared subscription")
	default:
		if msg := topicFilterProblem(o.Topic); msg != "" {
			errs.add(p.child("topic"), ErrInvalid, "not an MQTT topic filter: %s", msg)
		}
	}
	if j := o.JSON; j != nil {
		for _, f := range []struct{ name, v string }{{"device", j.Device}, {"boot", j.Boot}, {"sequence", j.Sequence}, {"timestamp", j.Timestamp}} {
			if f.v == "" || strings.Contains(f.v, ",") || slices.Contains(strings.Split(f.v, "."), "") {
				errs.add(p.child("json", f.name), ErrInvalid, "want a field name, or a dotted path such as data.%s, got %q", f.name, f.v)
			}
		}
	}
	o.MQTTClient.validate(errs, p)
	sk := sp.Workload.Sink
	switch {
	case sk == nil:
		errs.add(p, ErrInvalid, "the sink fixture accounts what arrives at spec.observe: deploy it in spec.workload")
	case !o.Shared && (sk.HPA != nil || sk.Replicas != nil && *sk.Replicas > 1):
		errs.add(p.child("shared"), ErrInvalid, "several sink replicas need a shared subscription (shared: true), or each would count every message")
	}
	if sp.Devices == nil || sp.Devices.Endpoint == nil {
		errs.add(p, ErrInvalid, "spec.observe judges the devices' data in your pipeline: point spec.devices.endpoint at it")
	}
}

// topicFilterProblem says what makes f an invalid MQTT topic filter: a
// wildcard must fill a whole level, and # must be the last.
func topicFilterProblem(f string) string {
	levels := strings.Split(f, "/")
	for i, l := range levels {
		switch {
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			return "# must be a whole level, and the last"
		case strings.Contains(l, "+") && l != "+":
			return "+ must be a whole level"
		}
	}
	return ""
}

// enum checks that a defaulted enum field holds an allowed value.
func enum[T ~string](errs *ErrorList, p fieldPath, v T, allowed []T) {
	switch {
	case v == "":
		errs.required(p, "")
	case !slices.Contains(allowed, v):
		unsupported(errs, p, v, allowed)
	}
}

func dns1123Label(errs *ErrorList, p fieldPath, v string) {
	if msgs := validation.IsDNS1123Label(v); len(msgs) > 0 {
		errs.add(p, ErrInvalid, "invalid name %q: %s", v, strings.Join(msgs, "; "))
	}
}

func validateLabels(errs *ErrorList, p fieldPath, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs.add(p.key(k), ErrInvalid, "invalid label key %q: %s", k, strings.Join(msgs, "; "))
		}
		if msgs := validation.IsValidLabelValue(labels[k]); len(msgs) > 0 {
			errs.add(p.key(k), ErrInvalid, "invalid label value %q: %s", labels[k], strings.Join(msgs, "; "))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
