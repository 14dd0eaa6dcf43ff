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
		if o.Kind != ObjectiveReschedule && o.Kind != ObjectiveRecovery {
			return
		}
		var eligible []string
		for _, f := range sp.Faults {
			if o.Kind != ObjectiveReschedule || f.Kind.MakesNodeUnready() {
				eligible = append(eligible, f.Name)
			}
		}
		if len(eligible) == 0 {
			errs.add(p.child("kind"), ErrInvalid, "%s objectives need a fault to measure, and the scenario has %s", o.Kind, noFaultFor(o.Kind))
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
	if f := sp.Faults[i]; o.Kind == ObjectiveReschedule && f.Kind.IsValid() && !f.Kind.MakesNodeUnready() {
		errs.add(fp, ErrInvalid, "fault %q is a %s, which does not make a node unready; reschedule objectives need a node fault", o.Fault, f.Kind)
	}
}

func noFaultFor(k ObjectiveKind) string {
	if k == ObjectiveReschedule {
		return "no fault that makes a node unready"
	}
	return "no faults"
}

func (sp *Spec) validateObjectiveWorkload(errs *ErrorList, p fieldPath, o *Objective) {
	switch o.Kind {
	case ObjectiveAvailability, ObjectiveDelivery:
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

func joinMetrics(ms []Metric) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
