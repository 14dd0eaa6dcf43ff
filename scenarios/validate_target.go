package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// targetOptNames names target options in the order messages list them.
var targetOptNames = []struct {
	opt  targetOpt
	name string
}{{tNodes, "nodes"}, {tZone, "zone"}, {tNodeSelector, "nodeSelector"}, {tPods, "pods"}}

func optNames(set targetOpt) string {
	var names []string
	for _, o := range targetOptNames {
		if set&o.opt != 0 {
			names = append(names, o.name)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func (f *Fault) validateTarget(errs *ErrorList, p fieldPath, info kindInfo) {
	t := f.Target
	if info.targets == 0 {
		if t != nil {
			errs.add(p, ErrInvalid, "not allowed for kind %s, which acts on the whole %s", f.Kind, wholeOf(f.Kind))
		}
		return
	}
	if t == nil {
		errs.required(p, fmt.Sprintf("%s needs one of %s", f.Kind, optNames(info.targets)))
		return
	}
	var set targetOpt
	if len(t.Nodes) > 0 {
		set |= tNodes
	}
	if t.Zone != "" {
		set |= tZone
	}
	if len(t.NodeSelector) > 0 {
		set |= tNodeSelector
	}
	if t.Pods != nil {
		set |= tPods
		if t.AllowControlPlane {
			errs.add(p.child("allowControlPlane"), ErrInvalid, "applies to node targets: a pod fault picks pods wherever they run")
		}
	}
	switch {
	case set == 0:
		errs.required(p, fmt.Sprintf("set one of %s", optNames(info.targets)))
		return
	case set&(set-1) != 0:
		errs.add(p, ErrInvalid, "set exactly one of %s; got %s", optNames(info.targets), strings.Replace(optNames(set), " or ", " and ", 1))
		return
	case set&info.targets == 0:
		errs.add(p.child(optNames(set)), ErrInvalid, "%s cannot target %s; use %s", f.Kind, optNames(set), optNames(info.targets))
		return
	}
	seen := map[string]bool{}
	for i, n := range t.Nodes {
		np := p.child("nodes").index(i)
		if msgs := validation.IsDNS1123Subdomain(n); len(msgs) > 0 {
			errs.add(np, ErrInvalid, "invalid node name %q: %s", n, strings.Join(msgs, "; "))
		}
		if seen[n] {
			errs.add(np, ErrDuplicate, "duplicate node %q", n)
		}
		seen[n] = true
	}
	if t.Zone != "" {
		if msgs := validation.IsValidLabelValue(t.Zone); len(msgs) > 0 {
			errs.add(p.child("zone"), ErrInvalid, "invalid zone %q: %s", t.Zone, strings.Join(msgs, "; "))
		}
	}
	validateLabels(errs, p.child("nodeSelector"), t.NodeSelector)
	f.validateNodeMode(errs, p, set)
	if t.Pods != nil {
		validatePods(errs, p.child("pods"), t.Pods, f.Kind)
	}
}

func wholeOf(k FaultKind) string {
	if k == RollingUpdate {
		return "fixture named in rollout.fixture"
	}
	return "device fleet"
}

// validateNodeMode checks mode and value, which pick among the nodes a zone
// or nodeSelector matches.
func (f *Fault) validateNodeMode(errs *ErrorList, p fieldPath, set targetOpt) {
	t := f.Target
	if set&(tZone|tNodeSelector) == 0 {
		if t.Mode != "" {
			errs.add(p.child("mode"), ErrInvalid, "only used with zone or nodeSelector")
		}
		if t.Value != "" {
			errs.add(p.child("value"), ErrInvalid, "only used with zone or nodeSelector")
		}
		return
	}
	if f.Kind == ZonePartition && t.Mode != v1alpha1.AllMode {
		errs.add(p.child("mode"), ErrInvalid, "zone-partition always cuts the whole zone; leave mode out")
		return
	}
	selectorMode(errs, p, t.Mode, t.Value)
}

// selectorMode checks a Chaos Mesh mode and its value.
func selectorMode(errs *ErrorList, p fieldPath, mode v1alpha1.SelectorMode, value string) {
	enum(errs, p.child("mode"), mode, selectorModes)
	vp := p.child("value")
	switch mode {
	case v1alpha1.OneMode, v1alpha1.AllMode:
		if value != "" {
			errs.add(vp, ErrInvalid, "not used with mode %s", mode)
		}
	case v1alpha1.FixedMode:
		if value == "" {
			errs.required(vp, "the number of targets for mode fixed")
		} else if _, err := parsePositiveInt(value, 1<<20); err != nil {
			errs.add(vp, ErrInvalid, "%v", err)
		}
	case v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode:
		if value == "" {
			errs.required(vp, fmt.Sprintf("the percentage of targets for mode %s", mode))
		} else if _, err := parsePositiveInt(value, 100); err != nil {
			errs.add(vp, ErrInvalid, "%v", err)
		}
	}
}

func validatePods(errs *ErrorList, p fieldPath, c *v1alpha1.ContainerSelector, kind FaultKind) {
	selectorMode(errs, p, c.Mode, c.Value)
	sel := &c.Selector
	sp := p.child("selector")
	if len(sel.LabelSelectors) == 0 && len(sel.ExpressionSelectors) == 0 && len(sel.FieldSelectors) == 0 &&
		len(sel.AnnotationSelectors) == 0 && len(sel.Pods) == 0 && len(sel.Nodes) == 0 && len(sel.NodeSelectors) == 0 {
		errs.required(sp, "select pods by labelSelectors, expressionSelectors, fieldSelectors, annotationSelectors, pods, nodes or nodeSelectors; an empty selector would hit every pod")
	}
	for i, ns := range sel.Namespaces {
		dns1123Label(errs, sp.child("namespaces").index(i), ns)
	}
	validateLabels(errs, sp.child("labelSelectors"), sel.LabelSelectors)
	validateLabels(errs, sp.child("nodeSelectors"), sel.NodeSelectors)
	for i, r := range sel.ExpressionSelectors {
		ep := sp.child("expressionSelectors").index(i)
		if msgs := validation.IsQualifiedName(r.Key); len(msgs) > 0 {
			errs.add(ep.child("key"), ErrInvalid, "invalid label key %q: %s", r.Key, strings.Join(msgs, "; "))
		}
		op := string(r.Operator)
		switch {
		case op == "":
			errs.required(ep.child("operator"), "")
		case !slices.Contains(labelSelectorOps, op):
			unsupported(errs, ep.child("operator"), op, labelSelectorOps)
		case (op == "In" || op == "NotIn") && len(r.Values) == 0:
			errs.required(ep.child("values"), "operator "+op+" needs values")
		case (op == "Exists" || op == "DoesNotExist") && len(r.Values) > 0:
			errs.add(ep.child("values"), ErrInvalid, "must be empty for operator %s", op)
		}
	}
	for _, ns := range sortedKeys(sel.Pods) {
		dns1123Label(errs, sp.child("pods").key(ns), ns)
	}
	for i, ph := range sel.PodPhaseSelectors {
		if !slices.Contains(podPhases, ph) {
			unsupported(errs, sp.child("podPhaseSelectors").index(i), ph, podPhases)
		}
	}
	if len(c.ContainerNames) > 0 && kind != ContainerKill && kind != Stress {
		errs.add(p.child("containerNames"), ErrInvalid, "only used by container-kill and stress")
	}
}

// memorySize checks a stress-ng memory size: a percentage of available
// memory or a byte count with a unit, as Chaos Mesh accepts.
func memorySize(s string) error {
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || v <= 0 || v > 100 {
			return fmt.Errorf("invalid size %q: a percentage must be > 0 and <= 100", s)
		}
		return nil
	}
	n, err := v1alpha1.ParseUnit(s)
	if err != nil || n == 0 {
		return fmt.Errorf("invalid size %q: use bytes with a unit such as \"256MB\" or \"1GiB\", or a percentage such as \"50%%\"", s)
	}
	return nil
}
