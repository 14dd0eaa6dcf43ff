package scenarios

// Direction is the traffic a network isolation drops, seen from the
// isolated node or zone.
type Direction string

const (
	// DirectionIngress drops traffic coming in from the other side.
	DirectionIngress Direction = "ingress"
	// DirectionEgress drops traffic going out to the other side.
	DirectionEgress Direction = "egress"
	// DirectionBoth drops traffic both ways.
	DirectionBoth Direction = "both"
)

// IsolationParams configures node-isolate and zone-partition.
type IsolationParams struct {
	// Direction is the traffic dropped; defaults to both.
	Direction Direction `json:"direction,omitempty"`
}

// Signal is the signal that stops a node service.
type Signal string

const (
	// SignalTerm stops the service cleanly, as systemctl stop does.
	SignalTerm Signal = "SIGTERM"
	// SignalKill kills the service outright, modelling a crash.
	SignalKill Signal = "SIGKILL"
)

// ProcessParams configures kubelet-stop and runtime-stop.
type ProcessParams struct {
	// Signal stops the service; defaults to SIGTERM. Either way the service
	// stays down (systemd restarts are held off) until the fault ends.
	Signal Signal `json:"signal,omitempty"`
}

// UplinkLayer is where an uplink fault is applied.
type UplinkLayer string

const (
	// LayerNode applies the fault on the edge node with tc and iptables; it
	// shapes real packets and needs the sch_netem kernel module for loss and
	// latency.
	LayerNode UplinkLayer = "node"
	// LayerProxy applies the fault in a toxiproxy L4 proxy on the gateway's
	// TCP uplink; it needs no kernel modules but has no packet loss.
	LayerProxy UplinkLayer = "proxy"
)

// UplinkParams configures uplink-shape and uplink-flap. uplink-shape needs
// at least one of bandwidth, loss and delay; uplink-flap takes only layer.
type UplinkParams struct {
	// Layer is where the fault is applied; defaults to node.
	Layer UplinkLayer `json:"layer,omitempty"`
	// Bandwidth limits the uplink's rate, as Chaos Mesh BandwidthSpec.
	Bandwidth *BandwidthSpec `json:"bandwidth,omitempty"`
	// Loss drops packets, as Chaos Mesh LossSpec; layer node only.
	Loss *LossSpec `json:"loss,omitempty"`
	// Delay adds latency and jitter, as Chaos Mesh DelaySpec.
	Delay *DelaySpec `json:"delay,omitempty"`
}

// BandwidthSpec limits bandwidth with a token bucket (tc tbf), with the
// field names of Chaos Mesh's BandwidthSpec.
type BandwidthSpec struct {
	// Rate is the bandwidth: a number with unit bit, kbit, mbit, gbit, tbit,
	// or bps, kbps, mbps, gbps, tbps for bytes per second (e.g. "256kbit").
	Rate string `json:"rate"`
	// Limit is the number of bytes that may queue waiting for tokens;
	// layer node only, defaults to DefaultBandwidthLimit.
	Limit uint32 `json:"limit,omitempty"`
	// Buffer is the bucket size in bytes, the most that can be sent at
	// once; layer node only, defaults to DefaultBandwidthBuffer.
	Buffer uint32 `json:"buffer,omitempty"`
}

// LossSpec drops packets at random, with the field names of Chaos Mesh's
// LossSpec.
type LossSpec struct {
	// Loss is the percentage of packets dropped, above 0 and at most 100.
	Loss Percent `json:"loss"`
	// Correlation is how much, in percent, each drop depends on the previous
	// one, which makes losses come in bursts.
	Correlation Percent `json:"correlation,omitempty"`
}

// DelaySpec delays packets, with the field names of Chaos Mesh's DelaySpec.
type DelaySpec struct {
	// Latency is the added delay, e.g. "150ms".
	Latency Duration `json:"latency"`
	// Jitter is the random variation around latency.
	Jitter Duration `json:"jitter,omitempty"`
	// Correlation is how much, in percent, each delay depends on the
	// previous one; layer node only.
	Correlation Percent `json:"correlation,omitempty"`
}

// StressParams configures stress, with the field names of Chaos Mesh's
// Stressors; at least one of cpu and memory.
type StressParams struct {
	// CPU burns CPU.
	CPU *CPUStressor `json:"cpu,omitempty"`
	// Memory allocates and touches memory.
	Memory *MemoryStressor `json:"memory,omitempty"`
}

// CPUStressor burns CPU, as Chaos Mesh's CPUStressor.
type CPUStressor struct {
	// Workers is the number of stress-ng CPU workers (1-8192).
	Workers int32 `json:"workers"`
	// Load is the percentage each worker loads its CPU (0-100); defaults to
	// 100.
	Load *int32 `json:"load,omitempty"`
}

// MemoryStressor allocates memory, as Chaos Mesh's MemoryStressor.
type MemoryStressor struct {
	// Workers is the number of stress-ng VM workers (1-8192).
	Workers int32 `json:"workers"`
	// Size is the memory each worker takes: bytes with a unit (e.g. "256MB",
	// "1GiB") or a percentage of available memory ("50%"). Required, since
	// Chaos Mesh's default of all available memory would take an edge node
	// down.
	Size string `json:"size"`
}

// PodParams configures pod-kill.
type PodParams struct {
	// GracePeriod is the seconds pods get to shut down before they are
	// killed, as Chaos Mesh's gracePeriod; 0 (the default) kills at once.
	GracePeriod int64 `json:"gracePeriod,omitempty"`
}

// StormParams configures device-storm.
type StormParams struct {
	// Spread is the window over which devices reconnect; 0 (the default)
	// means all at the same instant.
	Spread Duration `json:"spread,omitempty"`
}

// LoadParams configures device-load.
type LoadParams struct {
	// Factor multiplies every device's publish rate while the fault lasts,
	// e.g. 4 for four times the load; above 0, not 1, at most 100.
	Factor float64 `json:"factor"`
}

// RolloutParams configures rolling-update. Set one of fixture and object.
type RolloutParams struct {
	// Fixture is the fixture to roll; it must be deployed.
	Fixture Fixture `json:"fixture,omitempty"`
	// Object is a Deployment, StatefulSet or DaemonSet of the user's
	// application to roll instead. Without maxUnavailable and maxSurge it
	// rolls under the object's own update strategy, which is then what the
	// scenario certifies.
	Object *ObjectRef `json:"object,omitempty"`
	// MaxUnavailable is how many pods may be unavailable at once during the
	// rollout; defaults to 0 for devicesim and to 1 for the fixtures that
	// cannot surge (broker, gateway, sink).
	MaxUnavailable *int32 `json:"maxUnavailable,omitempty"`
	// MaxSurge is how many extra pods may run during the rollout; defaults
	// to 1 for devicesim. It must be 0 for the broker (one journal writer),
	// the gateway (a DaemonSet pod owns its node's queue) and the sink (a
	// StatefulSet replaces each replica under its own name).
	MaxSurge *int32 `json:"maxSurge,omitempty"`
}

// ObjectRef names an object of the user's application in the run
// namespace.
type ObjectRef struct {
	// Kind is Deployment, StatefulSet or DaemonSet.
	Kind string `json:"kind"`
	// Name is the object's metadata.name.
	Name string `json:"name"`
}

// String is Kind/name.
func (o ObjectRef) String() string { return o.Kind + "/" + o.Name }

// Rolled names what a rolling-update rolls, for messages: the fixture, or
// the object as Kind/name.
func (r *RolloutParams) Rolled() string {
	if r.Object != nil {
		return r.Object.String()
	}
	return string(r.Fixture)
}
