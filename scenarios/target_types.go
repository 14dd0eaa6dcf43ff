package scenarios

import "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

// Target selects what a fault hits. Set exactly one of nodes, zone,
// nodeSelector and pods; which ones a kind accepts is checked by Validate.
type Target struct {
	// Nodes lists nodes by name.
	Nodes []string `json:"nodes,omitempty"`
	// Zone selects the nodes of one zone (topology.kubernetes.io/zone), or
	// for zone-partition the zone to cut off.
	Zone string `json:"zone,omitempty"`
	// NodeSelector selects nodes by labels, e.g. edgeproof.dev/tier: edge.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Mode picks among the nodes a zone or nodeSelector matches, with Chaos
	// Mesh semantics: one, all, fixed, fixed-percent or random-max-percent.
	// Defaults to all.
	Mode v1alpha1.SelectorMode `json:"mode,omitempty"`
	// Value is the count (fixed) or percentage (fixed-percent,
	// random-max-percent) for mode.
	Value string `json:"value,omitempty"`
	// Pods selects pods and, for container-kill and stress, containers, as
	// a Chaos Mesh ContainerSelector: selector, mode, value and
	// containerNames.
	Pods *v1alpha1.ContainerSelector `json:"pods,omitempty"`
	// AllowControlPlane lets a node fault on a cluster edgeproof did not
	// create pick control-plane nodes (a single-server k3s site, say),
	// which are refused otherwise. The nodes must still be opted in.
	// Clusters edgeproof creates ignore it: their topology says which
	// nodes a fault may hit.
	AllowControlPlane bool `json:"allowControlPlane,omitempty"`
}
