package scenarios

import (
	"fmt"
	"k8s.io/apimachinery/pkg/util/validation"
	"slices"
	"time"
)

func (sp *Spec) validateFaults(errs *ErrorList, p fieldPath) {
	names := map[string]int{}
	for i := range sp.Faults {
		f := &sp.Faults[i]
		fp := p.index(i)
		if f.Name != "" {
			if j, dup := names[f.Name]; dup {
				errs.add(fp.child("name"), ErrDuplicate, "duplicate fault name %q (also spec.faults[%d])", f.Name, j)
			}
			names[f.Name] = i
		}
		sp.validateFault(errs, fp, f)
	}
}

func (sp *Spec) validateFault(errs *ErrorList, p fieldPath, f *Fault) {
	if f.Name == "" {
		errs.required(p.child("name"), "")
	} else {
		dns1123Label(errs, p.child("name"), f.Name)
	}
	if f.Kind == "" {
		errs.required(p.child("kind"), "")
		return
	}
	info, ok := kinds[f.Kind]
	if !ok {
		unsupported(errs, p.child("kind"), f.Kind, faultKindOrder)
		return // kind-specific checks would only add noise
	}
	if f.At < 0 {
		errs.add(p.child("at"), ErrInvalid, "must be >= 0")
	}
	switch {
	case info.instant && f.Duration != 0:
		errs.add(p.child("duration"), ErrInvalid, "must not be set: %s is instantaneous; use repeat to inject it again", f.Kind)
	case !info.instant && f.Duration == 0:
		errs.required(p.child("duration"), fmt.Sprintf("how long %s lasts, e.g. \"60s\"", f.Kind))
	case !info.instant && f.Duration < 0:
		errs.add(p.child("duration"), ErrInvalid, "must be > 0")
	}
	if r := f.Repeat; r != nil {
		r.validate(errs, p.child("repeat"), f)
	}
	f.validateTarget(errs, p.child("target"), info)
	f.validateParams(errs, p, info)
	if info.fixture != "" && !sp.Workload.Deployed(info.fixture) {
		errs.add(p.child("kind"), ErrInvalid, "%s needs the %s fixture in spec.workload", f.Kind, info.fixture)
	}
	if f.Rollout != nil && f.Rollout.Object != nil && !sp.Workload.HasApplication() {
		errs.add(p.child("rollout", "object"), ErrInvalid, "rolls an object of the user's application; give spec.workload manifests, kustomize or helm")
	}
	if f.Rollout != nil && f.Rollout.Fixture != "" && validFixture(f.Rollout.Fixture) && !sp.Workload.Deployed(f.Rollout.Fixture) {
		errs.add(p.child("rollout", "fixture"), ErrInvalid, "fixture %s is not deployed in spec.workload", f.Rollout.Fixture)
	}
	if end := f.LatestEnd(); sp.Duration > 0 && f.At >= 0 && f.Duration >= 0 && end > sp.Duration.Std() {
		errs.add(p, ErrInvalid, "runs until %v, past spec.duration %v", end, sp.Duration)
	}
}

func (r *Repeat) validate(errs *ErrorList, p fieldPath, f *Fault) {
	switch {
	case r.Count < 2:
		errs.add(p.child("count"), ErrInvalid, "must be >= 2 (it counts the first occurrence); leave repeat out for a single one")
	case r.Count > MaxRepeatCount:
		errs.add(p.child("count"), ErrInvalid, "must be <= %d", MaxRepeatCount)
	}
	if r.Period <= 0 {
		errs.add(p.child("period"), ErrInvalid, "must be > 0")
	}
	if r.Jitter < 0 {
		errs.add(p.child("jitter"), ErrInvalid, "must be >= 0")
	}
	if r.Jitter > 0 && r.Seed == nil {
		errs.required(p.child("seed"), "jitter is random; a seed makes the timeline reproducible")
	}
	if r.Period > 0 && r.Jitter >= 0 && f.Duration >= 0 {
		switch need := f.Duration + r.Jitter; {
		case r.Jitter >= r.Period:
			errs.add(p.child("jitter"), ErrInvalid, "must be less than period (%v)", r.Period)
		case need > r.Period:
			errs.add(p.child("period"), ErrInvalid, "must be >= duration + jitter (%v) so that occurrences do not overlap", time.Duration(need))
		}
	}
}

var paramNames = []struct {
	opt  paramOpt
	name string
}{
	{pIsolation, "isolation"}, {pProcess, "process"}, {pUplink, "uplink"}, {pStress, "stress"},
	{pPod, "pod"}, {pStorm, "storm"}, {pLoad, "load"}, {pRollout, "rollout"},
}

// presentParams is the set of parameter blocks the fault sets.
func (f *Fault) presentParams() paramOpt {
	var got paramOpt
	for opt, set := range map[paramOpt]bool{
		pIsolation: f.Isolation != nil, pProcess: f.Process != nil, pUplink: f.Uplink != nil,
		pStress: f.Stress != nil, pPod: f.Pod != nil, pStorm: f.Storm != nil,
		pLoad: f.Load != nil, pRollout: f.Rollout != nil,
	} {
		if set {
			got |= opt
		}
	}
	return got
}

func (f *Fault) validateParams(errs *ErrorList, p fieldPath, info kindInfo) {
	got := f.presentParams()
	for _, pn := range paramNames {
		switch {
		case got&pn.opt != 0 && info.params&pn.opt == 0:
			errs.add(p.child(pn.name), ErrInvalid, "not allowed for kind %s", f.Kind)
			got &^= pn.opt // do not validate what is not allowed
		case got&pn.opt == 0 && info.required&pn.opt != 0:
			errs.required(p.child(pn.name), fmt.Sprintf("%s needs %s parameters", f.Kind, pn.name))
		}
	}
	if got&pIsolation != 0 {
		enum(errs, p.child("isolation", "direction"), f.Isolation.Direction, directions)
	}
	if got&pProcess != 0 {
		enum(errs, p.child("process", "signal"), f.Process.Signal, signals)
	}
	if got&pUplink != 0 {
		f.Uplink.validate(errs, p.child("uplink"), f.Kind)
	}
	if got&pStress != 0 {
		f.Stress.validate(errs, p.child("stress"))
	}
	if got&pPod != 0 && f.Pod.GracePeriod < 0 {
		errs.add(p.child("pod", "gracePeriod"), ErrInvalid, "must be >= 0")
	}
	if got&pStorm != 0 && f.Storm.Spread < 0 {
		errs.add(p.child("storm", "spread"), ErrInvalid, "must be >= 0")
	}
	if got&pLoad != 0 {
		switch fa := f.Load.Factor; {
		case fa == 0:
			errs.required(p.child("load", "factor"), "")
		case fa < 0 || fa > 100:
			errs.add(p.child("load", "factor"), ErrInvalid, "must be > 0 and <= 100")
		case fa == 1:
			errs.add(p.child("load", "factor"), ErrInvalid, "1 changes nothing; use e.g. 4 for four times the load")
		}
	}
	if got&pRollout != 0 {
		f.Rollout.validate(errs, p.child("rollout"))
	}
}

func (u *UplinkParams) validate(errs *ErrorList, p fieldPath, kind FaultKind) {
	enum(errs, p.child("layer"), u.Layer, uplinkLayers)
	proxy := u.Layer == LayerProxy
	if kind == UplinkFlap {
		for _, x := range []struct {
			name string
			set  bool
		}{{"bandwidth", u.Bandwidth != nil}, {"loss", u.Loss != nil}, {"delay", u.Delay != nil}} {
			if x.set {
				errs.add(p.child(x.name), ErrInvalid, "not allowed for uplink-flap; add an uplink-shape fault to degrade the link")
			}
		}
		return
	}
	if u.Bandwidth == nil && u.Loss == nil && u.Delay == nil {
		errs.required(p, "uplink-shape needs at least one of bandwidth, loss and delay")
	}
	if b := u.Bandwidth; b != nil {
		bp := p.child("bandwidth")
		if b.Rate == "" {
			errs.required(bp.child("rate"), "e.g. \"256kbit\"")
		} else if bits, err := b.BitsPerSecond(); err != nil {
			errs.add(bp.child("rate"), ErrInvalid, "%v", err)
		} else if bits == 0 || bits > maxRate {
			errs.add(bp.child("rate"), ErrInvalid, "must be > 0 and at most 100gbit")
		}
		if proxy {
			if b.Limit != 0 {
				errs.add(bp.child("limit"), ErrInvalid, "not supported at layer proxy (toxiproxy's bandwidth toxic has only a rate)")
			}
			if b.Buffer != 0 {
				errs.add(bp.child("buffer"), ErrInvalid, "not supported at layer proxy (toxiproxy's bandwidth toxic has only a rate)")
			}
		} else {
			if b.Limit == 0 {
				errs.add(bp.child("limit"), ErrInvalid, "must be >= 1")
			}
			if b.Buffer == 0 {
				errs.add(bp.child("buffer"), ErrInvalid, "must be >= 1")
			}
		}
	}
	if l := u.Loss; l != nil {
		lp := p.child("loss")
		if proxy {
			errs.add(lp, ErrInvalid, "not supported at layer proxy: a TCP proxy has no packets to drop; use layer node")
		}
		if l.Loss <= 0 || l.Loss > 100 {
			errs.add(lp.child("loss"), ErrInvalid, "must be > 0 and <= 100 (percent)")
		}
		percent(errs, lp.child("correlation"), l.Correlation)
	}
	if d := u.Delay; d != nil {
		dp := p.child("delay")
		if d.Latency <= 0 {
			errs.add(dp.child("latency"), ErrInvalid, "must be > 0")
		}
		if d.Jitter < 0 {
			errs.add(dp.child("jitter"), ErrInvalid, "must be >= 0")
		}
		percent(errs, dp.child("correlation"), d.Correlation)
		if proxy && d.Correlation != 0 {
			errs.add(dp.child("correlation"), ErrInvalid, "not supported at layer proxy")
		}
	}
}

func percent(errs *ErrorList, p fieldPath, v Percent) {
	if v < 0 || v > 100 {
		errs.add(p, ErrInvalid, "must be from 0 to 100 (percent)")
	}
}

func (s *StressParams) validate(errs *ErrorList, p fieldPath) {
	if s.CPU == nil && s.Memory == nil {
		errs.required(p, "stress needs cpu, memory or both")
	}
	if c := s.CPU; c != nil {
		workers(errs, p.child("cpu", "workers"), c.Workers)
		if c.Load != nil && (*c.Load < 0 || *c.Load > 100) {
			errs.add(p.child("cpu", "load"), ErrInvalid, "must be from 0 to 100 (percent per worker)")
		}
	}
	if m := s.Memory; m != nil {
		workers(errs, p.child("memory", "workers"), m.Workers)
		sp := p.child("memory", "size")
		if m.Size == "" {
			errs.required(sp, "e.g. \"256MB\" or \"50%\"; without it stress-ng takes all available memory")
		} else if err := memorySize(m.Size); err != nil {
			errs.add(sp, ErrInvalid, "%v", err)
		}
	}
}

func workers(errs *ErrorList, p fieldPath, n int32) {
	if n < 1 || n > 8192 {
		errs.add(p, ErrInvalid, "must be from 1 to 8192")
	}
}

// rollableKinds are the object kinds a rolling-update can roll.
var rollableKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

func (r *RolloutParams) validate(errs *ErrorList, p fieldPath) {
	switch {
	case r.Fixture != "" && r.Object != nil:
		errs.add(p.child("object"), ErrInvalid, "set only one of fixture and object")
		return
	case r.Object != nil:
		op := p.child("object")
		if r.Object.Kind == "" {
			errs.required(op.child("kind"), "")
		} else if !slices.Contains(rollableKinds, r.Object.Kind) {
			unsupported(errs, op.child("kind"), r.Object.Kind, rollableKinds)
		}
		if r.Object.Name == "" {
			errs.required(op.child("name"), "")
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(r.Object.Name) {
				errs.add(op.child("name"), ErrInvalid, "invalid name %q: %s", r.Object.Name, msg)
			}
		}
		// The object's own strategy applies unless both are given.
		if (r.MaxUnavailable == nil) != (r.MaxSurge == nil) {
			errs.add(p, ErrInvalid, "give both maxUnavailable and maxSurge, or neither to keep the object's own strategy")
			return
		}
		if r.MaxUnavailable == nil {
			return
		}
	case r.Fixture == "":
		errs.required(p.child("fixture"), "or object, naming the user's Deployment, StatefulSet or DaemonSet")
	case !validFixture(r.Fixture):
		unsupported(errs, p.child("fixture"), r.Fixture, fixtures)
	}
	if r.MaxUnavailable == nil || *r.MaxUnavailable < 0 {
		errs.add(p.child("maxUnavailable"), ErrInvalid, "must be >= 0")
	}
	if r.MaxSurge == nil || *r.MaxSurge < 0 {
		errs.add(p.child("maxSurge"), ErrInvalid, "must be >= 0")
	} else if why := r.Fixture.surgeForbidden(); *r.MaxSurge > 0 && why != "" {
		errs.add(p.child("maxSurge"), ErrInvalid, "must be 0 for fixture %s: %s; use maxUnavailable", r.Fixture, why)
	}
	if r.MaxUnavailable != nil && r.MaxSurge != nil && *r.MaxUnavailable == 0 && *r.MaxSurge == 0 {
		errs.add(p.child("maxSurge"), ErrInvalid, "maxSurge and maxUnavailable cannot both be 0: the rollout could not progress")
	}
}

// surgeForbidden says why fixture f cannot run an extra pod during a
// rollout; "" when it can.
func (f Fixture) surgeForbidden() string {
	switch f {
	case FixtureBroker:
		return "its journal has one writer, so the old broker must be gone first"
	case FixtureGateway:
		return "a DaemonSet pod owns its node's queue directory, so the old one must be gone first"
	case FixtureSink:
		return "a StatefulSet replaces each replica under its own name, never beside it"
	}
	return ""
}

func validFixture(f Fixture) bool { return slices.Contains(fixtures, f) }
