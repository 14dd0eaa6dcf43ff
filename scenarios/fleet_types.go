package scenarios

// Fleet tells edgeproof what it cannot read from a cluster it did not
// create (edgeproof run --kubeconfig ... --fleet FILE): how to switch its
// nodes' power, what marks it as production, and which nodes are the
// cloud and which the edge zones when its labels do not say so.
type Fleet struct {
	// APIVersion must be "edgeproof.dev/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind must be "Fleet".
	Kind string `json:"kind"`
	// Metadata names the fleet.
	Metadata Metadata `json:"metadata"`
	// Spec holds the hooks, the production marker and the topology.
	Spec FleetSpec `json:"spec"`

	source    string
	positions map[string]Position
}

// FleetSpec is the body of a fleet file.
type FleetSpec struct {
	// Power lists the power hooks, each for a set of nodes; a node matched
	// by none cannot lose power, and node-power-loss on it skips with the
	// reason. A node matched by two is an error when the run reaches it.
	Power []PowerHook `json:"power,omitempty"`
	// Production marks a cluster that must not be broken: a run against a
	// cluster that carries the marker refuses unless given --production.
	Production *ProductionMarker `json:"production,omitempty"`
	// Topology maps the cluster's nodes to edgeproof's tiers and edge
	// zones, for clusters that do not carry edgeproof.dev/tier and
	// topology.kubernetes.io/zone.
	Topology *Topology `json:"topology,omitempty"`
}

// NodeSet names a set of nodes: by name, or by labels.
type NodeSet struct {
	// Nodes are node names.
	Nodes []string `json:"nodes,omitempty"`
	// NodeSelector matches nodes by their labels (all must match). Give
	// Nodes or NodeSelector, not both.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
}

// Topology maps nodes to the cloud tier and to edge zones. For the run,
// edgeproof labels each mapped node edgeproof.dev/tier=cloud or edge and,
// where the node has no zone label, topology.kubernetes.io/zone=<zone>;
// it removes the labels it added when the run ends (edgeproof recover
// too). A node whose labels already say otherwise is an error: edgeproof
// never changes a label it did not set.
type Topology struct {
	// Cloud are the nodes of the cloud tier, where the reference broker,
	// sink and prober run.
	Cloud *CloudNodes `json:"cloud,omitempty"`
	// Zones are the edge zones, each a set of edge nodes.
	Zones []EdgeZone `json:"zones,omitempty"`
}

// CloudNodes are the cloud tier's nodes.
type CloudNodes struct {
	NodeSet
	// Zone is their zone label's value, if they have none; defaults to
	// "cloud".
	Zone string `json:"zone,omitempty"`
}

// EdgeZone is one edge zone: a site whose nodes share an uplink.
type EdgeZone struct {
	// Name is the zone, as scenarios name it (target.zone: edge-a).
	Name string `json:"name"`
	NodeSet
}

// PowerHook switches the power of a set of nodes (a node pool) with
// commands run on the machine that runs edgeproof: ipmitool, a Redfish
// or PDU client, a PoE switch's CLI, a cloud CLI, virsh. Each command is a
// shell command line and a Go template: {{.Node}} is the node's name,
// {{.Address}} its InternalIP, {{label "KEY"}} one of its labels, each
// inserted shell-quoted. The same values are in the environment as
// EDGEPROOF_NODE and EDGEPROOF_NODE_ADDRESS.
type PowerHook struct {
	// Name identifies the hook in messages; a DNS-1123 label.
	Name string `json:"name"`
	// The nodes the hook switches.
	NodeSet
	// Off cuts the node's power at once, as a pulled plug does (not a
	// graceful shutdown).
	Off string `json:"off"`
	// On restores the node's power; it must succeed when the node is
	// already on, since recovery runs it whatever state the node is in.
	On string `json:"on"`
	// Status, when given, prints "on" or "off": it is run for every target
	// before a power fault, so that a hook that cannot reach the node's
	// power fails the run before anything is broken.
	Status string `json:"status,omitempty"`
	// Timeout bounds each command; defaults to 60s.
	Timeout Duration `json:"timeout,omitempty"`
}

// ProductionMarker says what makes a cluster production: any of the
// namespaces existing, or any node carrying all of the labels.
type ProductionMarker struct {
	// Namespaces that exist only on production clusters.
	Namespaces []string `json:"namespaces,omitempty"`
	// NodeLabels that production nodes carry (all of them).
	NodeLabels map[string]string `json:"nodeLabels,omitempty"`
}
