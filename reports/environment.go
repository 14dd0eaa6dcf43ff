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
