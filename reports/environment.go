package reports

// Environment fingerprints where a run happened, so that two reports can be
// compared and a certification bundle says what it certifies.
type Environment struct {
	// EdgeproofVersion is the edgeproof release or "dev".
	EdgeproofVersion string `json:"edgeproofVersion"`
	// EdgeproofCommit is the git commit edgeproof was built from.
	EdgeproofCommit string `json:"edgeproofCommit,omitempty"`
	// KubernetesVersion is the API server's version, e.g. "v1.33.1".
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// Provider is the cluster provider, e.g. "kind" or "qemu".
	Provider string `json:"provider,omitempty"`
	// Nodes are the cluster's nodes.
	Nodes []Node `json:"nodes,omitempty"`
	// HostCapabilities are the probed host features that decide which faults can run.
	HostCapabilities []Capability `json:"hostCapabilities,omitempty"`
	// ScenarioFiles are the hashes of every scenario file the run loaded.
	ScenarioFiles []FileHash `json:"scenarioFiles,omitempty"`
	// Shards are, on a report merged from shards, where each shard ran,
	// in shard order; the fields above are those of shard 1. Added in
	// schema 1.3.0.
	Shards []ShardEnvironment `json:"shards,omitempty"`
}

// ShardEnvironment is where and when one shard of a merged run ran.
type ShardEnvironment struct {
	// Index is the shard's number, from 1 to Total.
	Index int `json:"index"`
	// Total is how many shards the run was split into.
	Total int `json:"total"`
	// Suite is the shard's own run: its start, end and wall time.
	Suite Suite `json:"suite"`
	// Environment is the shard's cluster and host.
	Environment Environment `json:"environment"`
}

// Node describes one cluster node.
type Node struct {
	// Name is the Kubernetes node name.
	Name string `json:"name"`
	// Arch is the CPU architecture, e.g. "amd64", "arm64".
	Arch string `json:"arch,omitempty"`
	// Kernel is the kernel version.
	Kernel string `json:"kernel,omitempty"`
	// ContainerRuntime is the runtime and version, e.g. "containerd://2.1.1".
	ContainerRuntime string `json:"containerRuntime,omitempty"`
	// Roles are the node's roles, e.g. "control-plane", "edge".
	Roles []string `json:"roles,omitempty"`
	// Zone is the node's topology zone, if labelled.
	Zone string `json:"zone,omitempty"`
}

// Capability is one probed host capability.
type Capability struct {
	// Name identifies the capability, e.g. "kvm", "netem".
	Name string `json:"name"`
	// Value is what the probe found, e.g. "yes", "no", "5.15".
	Value string `json:"value"`
	// Meaning says what the value implies for the run, e.g. "QEMU nodes use hardware virtualisation".
	Meaning string `json:"meaning,omitempty"`
}

// FileHash records the content hash of one file.
type FileHash struct {
	// Path is the file's path, relative to the repository root.
	Path string `json:"path"`
	// SHA256 is the lowercase hex SHA-256 of the file's content.
	SHA256 string `json:"sha256"`
}
