package clusters

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// TopologyAPIVersion and TopologyKind identify a topology file.
const (
	TopologyAPIVersion = "edgeproof.dev/v1alpha1"
	TopologyKind       = "Topology"
)

// Timers selects the control-plane and kubelet failure-detection timers
// (the topology file's "profile" field).
type Timers string

const (
	// TimersDefault keeps Kubernetes' own timers (node Unknown ~50 s after
	// it stops reporting).
	TimersDefault Timers = "default"
	// TimersFastFailure detects a lost node in about 8 s: what edge
	// operators tune for, and what keeps chaos runs short.
	TimersFastFailure Timers = "fast-failure"
)

// Labels edgeproof puts on nodes.
const (
	LabelZone     = "topology.kubernetes.io/zone"
	LabelTier     = "edgeproof.dev/tier"
	LabelEdgeRole = "node-role.kubernetes.io/edge"
	// LabelProvider marks nodes that are not the driver's own: "qemu"
	// on arm64 VMs joined to a kind cluster.
	LabelProvider = "edgeproof.dev/provider"
	TierCloud     = "cloud"
	TierEdge      = "edge"
)

// Topology describes a cluster to create.
type Topology struct {
	APIVersion string       `yaml:"apiVersion"`
	Kind       string       `yaml:"kind"`
	Metadata   TopologyMeta `yaml:"metadata"`
	Spec       TopologySpec `yaml:"spec"`
}

// TopologyMeta names a topology.
type TopologyMeta struct {
	// Name is the default cluster name.
	Name string `yaml:"name"`
}

// TopologySpec is the shape of the cluster.
type TopologySpec struct {
	// Timers are the failure-detection timers, under the key "profile";
	// default fast-failure.
	Timers Timers `yaml:"profile"`
	// Cloud is the control-plane side.
	Cloud CloudSpec `yaml:"cloud"`
	// EdgeZones are the zones of edge worker nodes.
	EdgeZones []EdgeZone `yaml:"edgeZones"`
}

// CloudSpec describes the control plane.
type CloudSpec struct {
	// Zone label of the control-plane node; default "cloud".
	Zone string `yaml:"zone"`
}

// EdgeZone is a group of edge worker nodes sharing a zone label.
type EdgeZone struct {
	// Name is the zone label value.
	Name string `yaml:"name"`
	// Nodes is how many kind workers the zone has.
	Nodes int `yaml:"nodes"`
	// ARM64Nodes is how many arm64 QEMU VMs join the zone as workers
	// (clusters/qemu); they need qemu-system-aarch64 on the host.
	ARM64Nodes int `yaml:"arm64Nodes,omitempty"`
	// Labels are extra node labels (outside the kubernetes.io namespaces,
	// which kubelet may not set on itself).
	Labels map[string]string `yaml:"labels,omitempty"`
}

// LoadTopology reads, defaults and validates a topology file.
func LoadTopology(path string) (*Topology, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading topology: %w", err)
	}
	return ParseTopology(path, raw)
}

// ParseTopology decodes a topology strictly: unknown fields are errors.
// Errors name the file, and the line for decoding errors.
func ParseTopology(name string, raw []byte) (*Topology, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var t Topology
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty topology file", name)
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	t.Default()
	if errs := t.Validate(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = name + ": " + e.Error()
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	return &t, nil
}

// Default fills unset fields.
func (t *Topology) Default() {
	if t.Spec.Timers == "" {
		t.Spec.Timers = TimersFastFailure
	}
	if t.Spec.Cloud.Zone == "" {
		t.Spec.Cloud.Zone = TierCloud
	}
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate returns every problem found, each naming its field path.
func (t *Topology) Validate() []error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if t.APIVersion != TopologyAPIVersion {
		bad("apiVersion", "must be %s, got %q", TopologyAPIVersion, t.APIVersion)
	}
	if t.Kind != TopologyKind {
		bad("kind", "must be %s, got %q", TopologyKind, t.Kind)
	}
	if t.Metadata.Name != "" && (!dns1123.MatchString(t.Metadata.Name) || len(t.Metadata.Name) > 40) {
		bad("metadata.name", "%q must be lowercase letters, digits and '-', at most 40 characters", t.Metadata.Name)
	}
	if t.Spec.Timers != TimersDefault && t.Spec.Timers != TimersFastFailure {
		bad("spec.profile", "must be %q or %q, got %q", TimersDefault, TimersFastFailure, t.Spec.Timers)
	}
	if len(t.Spec.EdgeZones) == 0 {
		bad("spec.edgeZones", "at least one edge zone is required")
	}
	seen := map[string]bool{t.Spec.Cloud.Zone: true}
	for i, z := range t.Spec.EdgeZones {
		p := fmt.Sprintf("spec.edgeZones[%d]", i)
		if !dns1123.MatchString(z.Name) {
			bad(p+".name", "%q must be lowercase letters, digits and '-'", z.Name)
		}
		if seen[z.Name] {
			bad(p+".name", "zone %q appears twice (or is the cloud zone)", z.Name)
		}
		seen[z.Name] = true
		if z.Nodes < 0 || z.Nodes > 20 {
			bad(p+".nodes", "must be between 0 and 20, got %d", z.Nodes)
		}
		// Each VM takes most of a host core while it boots.
		if z.ARM64Nodes < 0 || z.ARM64Nodes > 4 {
			bad(p+".arm64Nodes", "must be between 0 and 4, got %d", z.ARM64Nodes)
		}
		if z.Nodes+z.ARM64Nodes < 1 {
			bad(p+".nodes", "a zone needs at least one node (nodes or arm64Nodes)")
		}
		for k := range z.Labels {
			if strings.Contains(k, "kubernetes.io/") || strings.Contains(k, "k8s.io/") {
				bad(p+".labels."+k, "kubelet may not set labels in the kubernetes.io or k8s.io namespaces")
			}
		}
	}
	return errs
}

// ARM64Workers is the zone of each arm64 VM worker, in creation order.
func (t *Topology) ARM64Workers() []EdgeZone {
	return t.perNode(func(z EdgeZone) int { return z.ARM64Nodes })
}

// perNode repeats each zone count(zone) times.
func (t *Topology) perNode(count func(EdgeZone) int) []EdgeZone {
	var out []EdgeZone
	for _, z := range t.Spec.EdgeZones {
		for i := 0; i < count(z); i++ {
			out = append(out, z)
		}
	}
	return out
}

// WithoutARM64 is a copy of t without arm64 VM workers, and whether it
// had any; zones left with no node are dropped.
func (t *Topology) WithoutARM64() (*Topology, bool) {
	c := *t
	c.Spec.EdgeZones = nil
	had := false
	for _, z := range t.Spec.EdgeZones {
		had = had || z.ARM64Nodes > 0
		z.ARM64Nodes = 0
		if z.Nodes > 0 {
			c.Spec.EdgeZones = append(c.Spec.EdgeZones, z)
		}
	}
	return &c, had
}

// WorkerZones returns the zone of each kind worker in creation order.
func (t *Topology) WorkerZones() []EdgeZone {
	return t.perNode(func(z EdgeZone) int { return z.Nodes })
}
