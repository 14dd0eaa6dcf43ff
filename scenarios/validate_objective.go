package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

func (sp *Spec) validateObjectives(errs *ErrorList, p fieldPath) {
	if len(sp.Objectives) == 0 {
		errs.required(p, "a scenario certifies nothing without at least one objective")
		return
	}
	names := map[string]int{}
	for i := range sp.Objectives {
		o := &sp.Objectives[i]
		op := p.index(i)
		if o.Name != "" {
			if j, dup := names[o.Name]; dup {
				errs.add(op.child("name"), ErrDuplicate, "duplicate objective name %q (also spec.objectives[%d])", o.Name, j)
			}
			names[o.Name] = i
		}
		sp.validateObjective(errs, op, o)
	}
	sp.validateGuardObjectives(errs, p)
}

// validateDefect checks that a declared defect says what is broken and
// names objectives of the scenario.
func (sp *Spec) validateDefect(errs *ErrorList, p fieldPath) {
	d := sp.Defect
	if d == nil {
		return
	}
	if strings.TrimSpace(d.Description) == "" {
		errs.required(p.child("description"), "say what is broken")
	}
	if len(d.CaughtBy) == 0 {
		errs.required(p.child("caughtBy"), "name the objectives that must catch the defect")
	}
	for i, name := range d.CaughtBy {
		if !slices.ContainsFunc(sp.Objectives, func(o Objective) bool { return o.Name == name }) {
			errs.add(p.child("caughtBy").index(i), ErrInvalid, "no objective named %q in spec.objectives", name)
		}
	}
}

// validateGuardObjectives asks every scenario whose devices publish into
// the sink to judge lost: without it a pipeline that acknowledges and then
// discards would pass. (A stall is caught without an objective: the drain
// after the run fails while devices or gateways still hold messages.)
func (sp *Spec) validateGuardObjectives(errs *ErrorList, p fieldPath) {
	if sp.Devices == nil || !sp.Workload.Deployed(FixtureDeviceSim) || !sp.Workload.Deployed(FixtureSink) ||
		sp.Devices.QoS == nil || *sp.Devices.QoS < 1 {
		return // QoS 0 has no acknowledgements to hold the pipeline to
	}
	for _, o := range sp.Objectives {
		if o.Kind == ObjectiveDelivery && o.Metric == MetricLost {
			return
		}
	}
	errs.add(p, ErrRequired, "devices publish into the sink, so give a delivery objective on metric lost "+
		"(budget 0 with QoS 1 or 2): without it, messages acknowledged and then discarded would pass")
}

func (sp *Spec) validateObjective(errs *ErrorList, p fieldPath, o *Objective) {
	if o.Name == "" {
		errs.required(p.child("name"), "")
	} else {
		dns1123Label(errs, p.child("name"), o.Name)
	}
	kindOK := o.Kind != "" && slices.Contains(objectiveKinds, o.Kind)
	enum(errs, p.child("kind"), o.Kind, objectiveKinds)
	info, metricOK := metrics[o.Metric]
	switch {
	case o.Metric == "":
		errs.required(p.child("metric"), "")
	case !metricOK:
		unsupported(errs, p.child("metric"), o.Metric, metricOrder)
	case kindOK && !slices.Contains(info.kinds, o.Kind):
		errs.add(p.child("metric"), ErrInvalid, "metric %s does not apply to kind %s; use one of %s",
			o.Metric, o.Kind, joinMetrics(o.Kind.Metrics()))
		metricOK = false
	}
	if metricOK {
		switch {
		case o.Op == "":
			errs.required(p.child("op"), fmt.Sprintf("metric %s can be bounded either way; give <= or >=", o.Metric))
		case !slices.Contains(comparisons, o.Op):
			unsupported(errs, p.child("op"), o.Op, comparisons)
		case info.op != "" && o.Op != info.op:
			errs.add(p.child("op"), ErrInvalid, "metric %s is bounded with %s; leave op out or use %s", o.Metric, info.op, info.op)
		}
		if o.Budget == "" {
			errs.required(p.child("budget"), "")
		} else if _, err := parseBudget(string(o.Budget), info.value); err != nil {
			errs.add(p.child("budget"), ErrInvalid, "invalid %s budget %q: %v", info.value, string(o.Budget), err)
		}
	} else if o.Budget == "" {
		errs.required(p.child("budget"), "")
	}
	if kindOK {
		sp.validateObjectiveFault(errs, p, o)
		sp.validateObjectiveWorkload(errs, p, o)
	}
}

func (sp *Spec) validateObjectiveFault(errs *ErrorList, p fieldPath, o *Objective) {
	fp := p.child("fault")
	if o.Fault == "" {
		if !o.needsFault() {
			return
		}
		eligible := sp.eligibleFaults(o)
		if len(eligible) == 0 {
			errs.add(p.child("kind"), ErrInvalid, "%s, and the scenario has none", o.faultNeeded())
		} else {
			errs.required(fp, fmt.Sprintf("several faults qualify (%s); name the one this objective measures", strings.Join(eligible, ", ")))
		}
		return
	}
	i := slices.IndexFunc(sp.Faults, func(f Fault) bool { return f.Name == o.Fault })
	if i < 0 {
		errs.add(fp, ErrInvalid, "no fault named %q in spec.faults", o.Fault)
		return
	}
	if f := sp.Faults[i]; f.Kind.IsValid() && !o.eligible(f.Kind) {
		errs.add(fp, ErrInvalid, "fault %q is a %s; %s", o.Fault, f.Kind, o.faultNeeded())
	}
}

// faultNeeded says which faults o can be anchored to.
func (o *Objective) faultNeeded() string {
	switch {
	case o.Kind == ObjectiveReschedule:
		return "reschedule objectives need a fault that makes a node unready"
	case o.Metric == MetricMinReady:
		return "metric minReady needs a rolling-update fault (it is measured while a fixture rolls)"
	}
	return string(o.Kind) + " objectives need a fault to measure"
}

func (sp *Spec) validateObjectiveWorkload(errs *ErrorList, p fieldPath, o *Objective) {
	if o.Probe != "" && o.Kind != ObjectiveAvailability {
		sp.validateObjectiveProbe(errs, p, o)
		return
	}
	if len(o.Selector) > 0 && o.Kind != ObjectiveReschedule {
		errs.add(p.child("selector"), ErrInvalid, "only reschedule objectives select pods")
	}
	switch o.Kind {
	case ObjectiveReschedule:
		validateLabels(errs, p.child("selector"), o.Selector)
		if len(o.Selector) == 0 && !sp.Workload.Deployed(FixtureDeviceSim) {
			errs.add(p.child("selector"), ErrRequired, "the devicesim fixture is not deployed; select the pods to time by label")
		}
	case ObjectiveAvailability, ObjectiveDelivery:
		if o.Probe != "" {
			sp.validateObjectiveProbe(errs, p, o)
			return
		}
		if o.Metric == MetricMinReady {
			return // read from the API server, not from devices
		}
		if sp.Devices == nil || !sp.Workload.Deployed(FixtureDeviceSim) {
			errs.add(p.child("kind"), ErrInvalid, "%s is measured from device traffic; deploy devicesim and set spec.devices", o.Kind)
		}
	case ObjectiveScaling:
		if sp.Workload.Sink == nil || sp.Workload.Sink.HPA == nil {
			errs.add(p.child("kind"), ErrInvalid, "scaling objectives need spec.workload.sink.hpa")
		}
	case ObjectiveRecovery:
		if o.Metric == MetricCatchUp && sp.Devices == nil {
			errs.add(p.child("metric"), ErrInvalid, "catchUp is measured from device traffic; set spec.devices")
		}
	}
}

// validateObjectiveProbe checks an objective judged by a probe: an
// availability metric a probe yields, over the whole run.
func (sp *Spec) validateObjectiveProbe(errs *ErrorList, p fieldPath, o *Objective) {
	pp := p.child("probe")
	switch {
	case o.Kind != ObjectiveAvailability || (o.Metric != MetricSuccessRatio && o.Metric != MetricLongestOutage):
		errs.add(pp, ErrInvalid, "a probe yields only the availability metrics successRatio and longestOutage")
	case !slices.ContainsFunc(sp.Probes, func(pr Probe) bool { return pr.Name == o.Probe }):
		errs.add(pp, ErrInvalid, "no probe named %q in spec.probes", o.Probe)
	case o.Fault != "":
		errs.add(p.child("fault"), ErrInvalid, "a probe objective covers the whole run; leave fault out")
	}
}

func joinMetrics(ms []Metric) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
