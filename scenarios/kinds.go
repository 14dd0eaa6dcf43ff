package scenarios

import (
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// targetOpt is a set of Target options.
type targetOpt uint8

const (
	tNodes targetOpt = 1 << iota
	tZone
	tNodeSelector
	tPods

	tAnyNode = tNodes | tZone | tNodeSelector
)

// paramOpt is a set of Fault parameter blocks.
type paramOpt uint8

const (
	pIsolation paramOpt = 1 << iota
	pProcess
	pUplink
	pStress
	pPod
	pStorm
	pLoad
	pRollout
)

// kindInfo is what the validator and Requirements know about a fault kind.
type kindInfo struct {
	instant    bool      // happens at one instant; no duration
	targets    targetOpt // target options accepted; 0 means no target
	params     paramOpt  // parameter blocks accepted
	required   paramOpt  // parameter blocks that must be present
	unready    bool      // makes nodes NotReady/unreachable, so pods get rescheduled
	disruptive bool      // affects the cluster beyond the scenario's own fixtures
	fixture    Fixture   // fixture that must be deployed, if any
	req        Requirements
}

var kinds = map[FaultKind]kindInfo{
	NodePowerLoss: {targets: tAnyNode, unready: true, disruptive: true, req: Requirements{NodeLifecycle: true}},
	NodeStop:      {targets: tAnyNode, unready: true, disruptive: true, req: Requirements{NodeLifecycle: true}},
	NodePause:     {targets: tAnyNode, unready: true, disruptive: true, req: Requirements{NodeLifecycle: true}},
	NodeReboot:    {instant: true, targets: tAnyNode, unready: true, disruptive: true, req: Requirements{NodeLifecycle: true}},
	KubeletStop:   {targets: tAnyNode, params: pProcess, unready: true, disruptive: true, req: Requirements{NodeAccess: true}},
	RuntimeStop:   {targets: tAnyNode, params: pProcess, unready: true, disruptive: true, req: Requirements{NodeAccess: true}},
	NodeIsolate:   {targets: tAnyNode, params: pIsolation, unready: true, disruptive: true, req: Requirements{NodeAccess: true}},
	ZonePartition: {targets: tZone, params: pIsolation, unready: true, disruptive: true, req: Requirements{NodeAccess: true}},
	NodeLinkDown:  {targets: tAnyNode, unready: true, disruptive: true, req: Requirements{NodeLifecycle: true}},
	// Uplink faults depend on their layer; see Fault.Requirements.
	UplinkShape:   {targets: tAnyNode, params: pUplink, required: pUplink, disruptive: true, fixture: FixtureGateway},
	UplinkFlap:    {targets: tAnyNode, params: pUplink, disruptive: true, fixture: FixtureGateway},
	PodKill:       {instant: true, targets: tPods, params: pPod, req: Requirements{ChaosMesh: NeedOptional}},
	ContainerKill: {instant: true, targets: tPods, req: Requirements{ChaosMesh: NeedOptional}},
	PodFailure:    {targets: tPods, req: Requirements{ChaosMesh: NeedRequired}},
	// Stress depends on its target; see Fault.Requirements.
	Stress:        {targets: tPods | tNodes | tNodeSelector, params: pStress, required: pStress},
	DeviceStorm:   {instant: true, params: pStorm, fixture: FixtureDeviceSim},
	DeviceLoad:    {params: pLoad, required: pLoad, fixture: FixtureDeviceSim},
	RollingUpdate: {instant: true, params: pRollout, required: pRollout},
}

// faultKindOrder lists the fault kinds in documentation order.
var faultKindOrder = []FaultKind{
	NodePowerLoss, NodeStop, NodePause, NodeReboot, KubeletStop, RuntimeStop,
	NodeIsolate, ZonePartition, NodeLinkDown, UplinkShape, UplinkFlap, PodKill,
	ContainerKill, PodFailure, Stress, DeviceStorm, DeviceLoad, RollingUpdate,
}

// AllFaultKinds returns every fault kind, in documentation order.
func AllFaultKinds() []FaultKind { return slices.Clone(faultKindOrder) }

// IsValid reports whether k is a known fault kind.
func (k FaultKind) IsValid() bool { _, ok := kinds[k]; return ok }

// Instant reports whether faults of kind k happen at one instant and take no
// duration.
func (k FaultKind) Instant() bool { return kinds[k].instant }

// MakesNodeUnready reports whether faults of kind k make nodes NotReady or
// unreachable, so that their pods are rescheduled; reschedule objectives
// need such a fault.
func (k FaultKind) MakesNodeUnready() bool { return kinds[k].unready }

// PodChaosAction returns the Chaos Mesh PodChaos action that implements k,
// for pod-kill, pod-failure and container-kill.
func (k FaultKind) PodChaosAction() (v1alpha1.PodChaosAction, bool) {
	switch k {
	case PodKill:
		return v1alpha1.PodKillAction, true
	case PodFailure:
		return v1alpha1.PodFailureAction, true
	case ContainerKill:
		return v1alpha1.ContainerKillAction, true
	}
	return "", false
}

// Enumerations, in documentation order; Validate and the JSON Schema use
// them.
var (
	arches           = []Arch{ArchAMD64, ArchARM64}
	providers        = []Provider{ProviderKind, ProviderQEMU, ProviderAny}
	timerSets        = []Timers{TimersFastFailure, TimersDefault}
	fixtures         = []Fixture{FixtureBroker, FixtureGateway, FixtureDeviceSim, FixtureSink}
	trafficPatterns  = []TrafficPattern{DeviceSteady, DeviceBurst, DeviceReconnectStorm}
	mqttProtocols    = []MQTTProtocol{MQTT311, MQTT5}
	directions       = []Direction{DirectionIngress, DirectionEgress, DirectionBoth}
	signals          = []Signal{SignalTerm, SignalKill}
	uplinkLayers     = []UplinkLayer{LayerNode, LayerProxy}
	objectiveKinds   = []ObjectiveKind{ObjectiveReschedule, ObjectiveAvailability, ObjectiveDelivery, ObjectiveScaling, ObjectiveRecovery}
	comparisons      = []Comparison{AtMost, AtLeast}
	selectorModes    = []v1alpha1.SelectorMode{v1alpha1.OneMode, v1alpha1.AllMode, v1alpha1.FixedMode, v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode}
	podPhases        = []string{"Pending", "Running", "Succeeded", "Failed", "Unknown"}
	labelSelectorOps = []string{"In", "NotIn", "Exists", "DoesNotExist"}
)

// ValueType is how a budget is written and measured.
type ValueType string

const (
	// ValueDuration is a Go duration such as "15s".
	ValueDuration ValueType = "duration"
	// ValueRatio is a ratio from 0 to 1, written 0.999 or "99.9%".
	ValueRatio ValueType = "ratio"
	// ValueCount is a non-negative integer, written 0 or as a Kubernetes
	// quantity such as "1k".
	ValueCount ValueType = "count"
)

// metricInfo is what a metric measures and how it compares.
type metricInfo struct {
	kinds []ObjectiveKind
	value ValueType
	op    Comparison // "" when the objective must say
}

var metrics = map[Metric]metricInfo{
	MetricTotal:          {[]ObjectiveKind{ObjectiveReschedule, ObjectiveRecovery}, ValueDuration, AtMost},
	MetricNodeNotReady:   {[]ObjectiveKind{ObjectiveReschedule}, ValueDuration, AtMost},
	MetricPodsEvicted:    {[]ObjectiveKind{ObjectiveReschedule}, ValueDuration, AtMost},
	MetricPodsScheduled:  {[]ObjectiveKind{ObjectiveReschedule}, ValueDuration, AtMost},
	MetricSuccessRatio:   {[]ObjectiveKind{ObjectiveAvailability}, ValueRatio, AtLeast},
	MetricLongestOutage:  {[]ObjectiveKind{ObjectiveAvailability}, ValueDuration, AtMost},
	MetricMinReady:       {[]ObjectiveKind{ObjectiveAvailability}, ValueCount, AtLeast},
	MetricLost:           {[]ObjectiveKind{ObjectiveDelivery}, ValueCount, AtMost},
	MetricDuplicates:     {[]ObjectiveKind{ObjectiveDelivery}, ValueCount, AtMost},
	MetricP99Latency:     {[]ObjectiveKind{ObjectiveDelivery}, ValueDuration, AtMost},
	MetricMaxLatency:     {[]ObjectiveKind{ObjectiveDelivery}, ValueDuration, ""},
	MetricCatchUp:        {[]ObjectiveKind{ObjectiveRecovery}, ValueDuration, AtMost},
	MetricDuplicatePods:  {[]ObjectiveKind{ObjectiveRecovery}, ValueCount, AtMost},
	MetricStaleEndpoints: {[]ObjectiveKind{ObjectiveRecovery}, ValueCount, AtMost},
	MetricScaleOut:       {[]ObjectiveKind{ObjectiveScaling}, ValueDuration, AtMost},
	MetricReplicas:       {[]ObjectiveKind{ObjectiveScaling}, ValueCount, ""},
}

// metricOrder lists the metrics in documentation order.
var metricOrder = []Metric{
	MetricTotal, MetricNodeNotReady, MetricPodsEvicted, MetricPodsScheduled,
	MetricSuccessRatio, MetricLongestOutage, MetricMinReady, MetricLost, MetricDuplicates,
	MetricP99Latency, MetricMaxLatency, MetricCatchUp, MetricDuplicatePods, MetricStaleEndpoints,
	MetricScaleOut, MetricReplicas,
}

// Metrics returns the metrics that objectives of kind k may use.
func (k ObjectiveKind) Metrics() []Metric {
	var out []Metric
	for _, m := range metricOrder {
		if slices.Contains(metrics[m].kinds, k) {
			out = append(out, m)
		}
	}
	return out
}

// ValueType returns how budgets for m are written.
func (m Metric) ValueType() ValueType { return metrics[m].value }

// ImpliedOp returns the comparison m implies, or "" when an objective must
// give op explicitly.
func (m Metric) ImpliedOp() Comparison { return metrics[m].op }

// Holds reports whether measured satisfies budget under c; both are in the
// units of BudgetValue.Float.
func (c Comparison) Holds(measured, budget float64) bool {
	switch c {
	case AtMost:
		return measured <= budget
	case AtLeast:
		return measured >= budget
	}
	return false
}
