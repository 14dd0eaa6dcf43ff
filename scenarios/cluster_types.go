package scenarios

// Arch is a CPU architecture of the cluster's edge nodes.
type Arch string

const (
	// ArchAMD64 is x86-64, what kind nodes on a typical CI host run.
	ArchAMD64 Arch = "amd64"
	// ArchARM64 is 64-bit ARM, what most edge hardware runs; on an x86 host
	// it means QEMU-emulated nodes.
	ArchARM64 Arch = "arm64"
)

// Provider is the way cluster nodes are created.
type Provider string

const (
	// ProviderKind runs nodes as containers with kind: fast, shares the
	// host kernel.
	ProviderKind Provider = "kind"
	// ProviderQEMU runs nodes as QEMU virtual machines (e.g. arm64 guests)
	// with their own kernels.
	ProviderQEMU Provider = "qemu"
	// ProviderAny accepts either provider.
	ProviderAny Provider = "any"
)

// Timers is the set of failure-detection timers the cluster runs with
// (the topology file's "profile" too; clusters.Timers).
type Timers string

const (
	// TimersFastFailure tunes detection for the edge: controller-manager
	// node-monitor-grace-period 8s, kubelet node status every 2s, and 1s
	// tolerations for not-ready/unreachable on the workload, so a lost node
	// is Unknown after about 8 s and its pods are replaced about 3 s later.
	TimersFastFailure Timers = "fast-failure"
	// TimersDefault keeps upstream Kubernetes timers (node Unknown about
	// 50 s after it stops reporting, 300 s default tolerations).
	TimersDefault Timers = "default"
)

// ClusterSpec is what the cluster must offer. Counts are minimums: a larger
// cluster also qualifies.
type ClusterSpec struct {
	// Nodes is the minimum number of edge (worker) nodes, not counting the
	// control plane. Defaults to what the faults need, at least 1.
	Nodes int32 `json:"nodes,omitempty"`
	// Zones is the minimum number of edge zones (distinct
	// topology.kubernetes.io/zone values among edge nodes). Defaults to what
	// the faults need, at least 1.
	Zones int32 `json:"zones,omitempty"`
	// Arch is the edge nodes' CPU architecture; empty accepts any.
	Arch Arch `json:"arch,omitempty"`
	// Provider is how nodes are created; defaults to any.
	Provider Provider `json:"provider,omitempty"`
	// Timers are the failure-detection timers, under the key "profile";
	// defaults to fast-failure, which the catalog budgets assume.
	Timers Timers `json:"profile,omitempty"`
}
