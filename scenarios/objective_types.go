package scenarios

import "k8s.io/apimachinery/pkg/labels"

// ObjectiveKind is the family of an objective; it decides which metrics
// apply.
type ObjectiveKind string

const (
	// ObjectiveReschedule measures how fast the workload of a failed node
	// is running elsewhere, from the start of a node fault.
	ObjectiveReschedule ObjectiveKind = "reschedule"
	// ObjectiveAvailability measures the pipeline's availability: as the
	// devices see it (the share of publishes acknowledged, and the longest
	// time none was), and as the cluster serves it (the fewest Ready pods
	// of a fixture while it is rolled).
	ObjectiveAvailability ObjectiveKind = "availability"
	// ObjectiveDelivery measures end-to-end delivery from devices to the
	// sink: acknowledged messages lost, duplicates and latency.
	ObjectiveDelivery ObjectiveKind = "delivery"
	// ObjectiveScaling measures the sink's autoscaling.
	ObjectiveScaling ObjectiveKind = "scaling"
	// ObjectiveRecovery measures how fast things are back to normal after a
	// fault is healed; for a repeated fault, the worst occurrence counts.
	ObjectiveRecovery ObjectiveKind = "recovery"
)

// Metric is the quantity an objective measures. Each metric belongs to one or
// more objective kinds and implies the comparison with its budget.
type Metric string

const (
	// MetricTotal is, for reschedule, the time from the fault's start until
	// every replica of the affected pods is Ready on another node; for
	// recovery, the time from the fault's end until the pipeline is steady
	// again: every node Ready, every fixture's replicas Ready and the sink
	// receiving at the devices' publish rate. Duration, <=.
	MetricTotal Metric = "total"
	// MetricNodeNotReady is the reschedule phase ending when the control
	// plane marks the node NotReady or Unknown, from the fault's start.
	// Duration, <=.
	MetricNodeNotReady Metric = "nodeNotReady"
	// MetricPodsEvicted is the reschedule phase ending when the affected
	// pods are marked for deletion (NoExecute taint eviction), from the
	// fault's start. Duration, <=.
	MetricPodsEvicted Metric = "podsEvicted"
	// MetricPodsScheduled is the reschedule phase ending when every
	// replacement pod is bound to a node, from the fault's start. Duration,
	// <=.
	MetricPodsScheduled Metric = "podsScheduled"
	// MetricSuccessRatio is the share of device publishes acknowledged,
	// written 0.999 or "99.9%". Ratio, >=.
	MetricSuccessRatio Metric = "successRatio"
	// MetricLongestOutage is the longest time any single device waited for
	// an acknowledgement while it had messages to send. Duration, <=.
	MetricLongestOutage Metric = "longestOutage"
	// MetricMinReady is the fewest Ready pods (not terminating) of the
	// fixture a rolling-update fault rolls, from the moment the rollout is
	// requested until it is complete; every change is watched, not sampled.
	// Only for objectives anchored to a rolling-update fault. Count, >=.
	MetricMinReady Metric = "minReady"
	// MetricLost is the number of messages acknowledged to a device that
	// never reached the sink. Count, <=.
	MetricLost Metric = "lost"
	// MetricDuplicates is the number of messages the sink received more than
	// once. Count, <=.
	MetricDuplicates Metric = "duplicates"
	// MetricP99Latency is the 99th percentile of device-to-sink latency.
	// Duration, <=.
	MetricP99Latency Metric = "p99Latency"
	// MetricMaxLatency is the slowest device-to-sink latency, to within
	// the sink histogram's bucket width. With >= it shows that a fault
	// bit: a cut that held messages back. Duration; the comparison must be
	// given with op.
	MetricMaxLatency Metric = "maxLatency"
	// MetricCatchUp is the time from the fault's end until the backlog
	// buffered during it has reached the sink. Duration, <=.
	MetricCatchUp Metric = "catchUp"
	// MetricDuplicatePods is the number of workload pods beyond what their
	// controllers want (two on one node for a DaemonSet, more than
	// spec.replicas for a Deployment or StatefulSet, pods stuck terminating
	// included), counted at the end of the run once every fault has healed.
	// Count, <=.
	MetricDuplicatePods Metric = "duplicatePods"
	// MetricStaleEndpoints is the number of the workload's Service endpoints
	// that point at a pod that is gone or was replaced, or that are ready
	// while their pod or its node is not, counted at the end of the run
	// once every fault has healed. Count, <=.
	MetricStaleEndpoints Metric = "staleEndpoints"
	// MetricScaleOut is the time from the load rising (the start of the
	// referenced fault, or of the run) until the sink's HPA has added
	// replicas and they are Ready. Duration, <=.
	MetricScaleOut Metric = "scaleOut"
	// MetricReplicas is the highest number of Ready sink replicas reached.
	// Count; the comparison must be given with op.
	MetricReplicas Metric = "replicas"
)

// PodSelector is the label selector of the pods a reschedule objective
// times, in Kubernetes' string form; "" means the device simulators.
func (o Objective) PodSelector() string {
	if len(o.Selector) == 0 {
		return ""
	}
	return labels.SelectorFromSet(o.Selector).String()
}

// Comparison is how a measurement is compared with its budget.
type Comparison string

const (
	// AtMost passes when the measurement is less than or equal to the budget.
	AtMost Comparison = "<="
	// AtLeast passes when the measurement is greater than or equal to the
	// budget.
	AtLeast Comparison = ">="
)

// Objective is one SLO the run is judged by.
type Objective struct {
	// Name identifies the objective in reports; a DNS-1123 label, unique
	// within the scenario.
	Name string `json:"name"`
	// Kind is the objective's family.
	Kind ObjectiveKind `json:"kind"`
	// Metric is what is measured; it must belong to kind.
	Metric Metric `json:"metric"`
	// Op is the comparison with the budget; defaults to the one the metric
	// implies, and must agree with it when given.
	Op Comparison `json:"op,omitempty"`
	// Budget is the limit: a duration ("15s"), a ratio (0.999 or "99.9%")
	// or a count (0) depending on the metric.
	Budget Budget `json:"budget"`
	// Fault names the fault the measurement is anchored to. Required for
	// reschedule and recovery objectives when several faults qualify;
	// defaulted when exactly one does. Availability and delivery objectives
	// without a fault cover the whole run.
	Fault string `json:"fault,omitempty"`
	// Selector picks, by label, the pods a reschedule objective times: those
	// of the user's application (app.kubernetes.io/name: web). Left out, it
	// times the reference pipeline's device simulators.
	Selector map[string]string `json:"selector,omitempty"`
	// Probe names a probe of spec.probes whose successRatio or
	// longestOutage an availability objective judges, instead of what the
	// devices saw. It covers the whole run and cannot name a fault.
	Probe string `json:"probe,omitempty"`
}
