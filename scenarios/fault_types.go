package scenarios

// FaultKind is what a fault does.
type FaultKind string

const (
	// NodePowerLoss cuts a node's power without warning (docker kill of a
	// kind node, QEMU quit): nothing is flushed, the node is gone until the
	// fault ends and it boots again.
	NodePowerLoss FaultKind = "node-power-loss"
	// NodeStop shuts a node down gracefully (systemctl poweroff), so the
	// kubelet's graceful node shutdown can evict pods first; it starts again
	// when the fault ends.
	NodeStop FaultKind = "node-stop"
	// NodePause freezes a node (docker pause, QEMU stop) for the fault's
	// duration; processes resume afterwards with a jump in time and stale
	// leases, as after a hypervisor stall.
	NodePause FaultKind = "node-pause"
	// NodeReboot reboots a node once, at the fault's start; it is
	// instantaneous, the reboot itself takes what it takes.
	NodeReboot FaultKind = "node-reboot"
	// KubeletStop stops the kubelet on a node (SIGTERM, or SIGKILL to model
	// a crash) and keeps it down for the fault's duration; containers keep
	// running.
	KubeletStop FaultKind = "kubelet-stop"
	// RuntimeStop stops the container runtime (containerd) on a node for the
	// fault's duration; running containers keep running but nothing can
	// start, and the kubelet reports the node NotReady.
	RuntimeStop FaultKind = "runtime-stop"
	// NodeIsolate cuts a node off from the control plane (API server) with
	// iptables while its data plane keeps working; isolation.direction says
	// which traffic is dropped.
	NodeIsolate FaultKind = "node-isolate"
	// ZonePartition cuts a whole edge zone off from the cloud zone, control
	// plane and data plane alike.
	ZonePartition FaultKind = "zone-partition"
	// NodeLinkDown pulls a node's network cable for the fault's duration:
	// its link loses carrier (QMP set_link on a QEMU VM, the host end of a
	// kind node's veth), nothing passes either way, and the node keeps its
	// addresses and routes for when the link comes back.
	NodeLinkDown FaultKind = "node-link-down"
	// UplinkShape degrades the gateway's uplink to the cloud: bandwidth,
	// packet loss, latency and jitter. At layer node it uses tc (tbf, and
	// sch_netem for loss and latency) on the node; at layer proxy a
	// toxiproxy L4 proxy on the gateway's TCP uplink.
	UplinkShape FaultKind = "uplink-shape"
	// UplinkFlap takes the gateway's uplink down for the fault's duration;
	// with repeat it goes down again every period, with seeded jitter, so
	// the uplink flaps. Without repeat it is a single uplink cut.
	UplinkFlap FaultKind = "uplink-flap"
	// PodKill deletes the selected pods (Chaos Mesh pod-kill); instantaneous.
	PodKill FaultKind = "pod-kill"
	// ContainerKill kills containers in the selected pods (Chaos Mesh
	// container-kill); the kubelet restarts them, and repeated kills drive
	// the container into CrashLoopBackOff. Instantaneous.
	ContainerKill FaultKind = "container-kill"
	// PodFailure makes the selected pods fail for the fault's duration
	// (Chaos Mesh pod-failure replaces their image with a pause image).
	PodFailure FaultKind = "pod-failure"
	// Stress burns CPU and memory (stress-ng) in the selected pods, through
	// Chaos Mesh StressChaos, or on the selected nodes.
	Stress FaultKind = "stress"
	// DeviceStorm makes every simulated device drop its connection and
	// reconnect at the same moment (within storm.spread); instantaneous.
	DeviceStorm FaultKind = "device-storm"
	// DeviceLoad multiplies the devices' publish rate by load.factor for the
	// fault's duration, e.g. to drive the sink's HPA.
	DeviceLoad FaultKind = "device-load"
	// RollingUpdate rolls a fixture's pods (as kubectl rollout restart does)
	// with the given surge and unavailability; instantaneous, it starts the
	// rollout and lets it run.
	RollingUpdate FaultKind = "rolling-update"
)

// Fault is one entry of the fault timeline.
type Fault struct {
	// Name identifies the fault in reports and objectives; a DNS-1123 label,
	// unique within the scenario.
	Name string `json:"name"`
	// Kind is what the fault does.
	Kind FaultKind `json:"kind"`
	// At is when the fault starts, as an offset from the moment the workload
	// is steady (e.g. "30s").
	At Duration `json:"at,omitempty"`
	// Duration is how long the fault lasts before it is healed; required for
	// lasting kinds, and must be left out for instantaneous ones (node-reboot,
	// pod-kill, container-kill, device-storm, rolling-update).
	Duration Duration `json:"duration,omitempty"`
	// Repeat injects the fault again, periodically.
	Repeat *Repeat `json:"repeat,omitempty"`
	// Target is what the fault hits; device-storm, device-load and
	// rolling-update take no target.
	Target *Target `json:"target,omitempty"`

	// Isolation configures node-isolate and zone-partition.
	Isolation *IsolationParams `json:"isolation,omitempty"`
	// Process configures kubelet-stop and runtime-stop.
	Process *ProcessParams `json:"process,omitempty"`
	// Uplink configures uplink-shape (required) and uplink-flap.
	Uplink *UplinkParams `json:"uplink,omitempty"`
	// Stress configures stress (required).
	Stress *StressParams `json:"stress,omitempty"`
	// Pod configures pod-kill.
	Pod *PodParams `json:"pod,omitempty"`
	// Storm configures device-storm.
	Storm *StormParams `json:"storm,omitempty"`
	// Load configures device-load (required).
	Load *LoadParams `json:"load,omitempty"`
	// Rollout configures rolling-update (required).
	Rollout *RolloutParams `json:"rollout,omitempty"`
}

// Repeat injects a fault count times. Occurrence i (from 0) starts at
// at + i*period plus, for i > 0, a jitter drawn from [0, jitter) by a
// generator seeded with seed, so a run is reproducible.
type Repeat struct {
	// Count is the total number of occurrences, the first included; at
	// least 2.
	Count int32 `json:"count"`
	// Period is the time between the starts of consecutive occurrences; at
	// least the fault's duration plus jitter, so occurrences never overlap.
	Period Duration `json:"period"`
	// Jitter is the largest random delay added to each later occurrence.
	Jitter Duration `json:"jitter,omitempty"`
	// Seed seeds the jitter; required when jitter is set.
	Seed *int64 `json:"seed,omitempty"`
}
