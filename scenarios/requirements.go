package scenarios

import (
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// Need is how much a scenario depends on an optional cluster component.
type Need string

const (
	// NeedNone means the component is not used.
	NeedNone Need = ""
	// NeedOptional means the component is used when installed and the
	// fault has a fallback without it (pod-kill through the API,
	// container-kill through crictl on the node).
	NeedOptional Need = "optional"
	// NeedRequired means the fault cannot run without the component.
	NeedRequired Need = "required"
)

// max returns the stronger of two needs.
func (n Need) max(o Need) Need {
	rank := map[Need]int{NeedNone: 0, NeedOptional: 1, NeedRequired: 2}
	if rank[o] > rank[n] {
		return o
	}
	return n
}

// Requirements is what a fault or scenario needs from the cluster and the
// harness; the runner checks them before it starts and skips, rather than
// fails, a scenario the environment cannot run.
type Requirements struct {
	// Provider is the provider the scenario needs; ProviderAny (or empty)
	// when either works.
	Provider Provider
	// Arch is the edge nodes' architecture; empty when any works.
	Arch Arch
	// MinNodes is the minimum number of edge nodes.
	MinNodes int32
	// MinZones is the minimum number of edge zones.
	MinZones int32
	// NodeAccess is a privileged shell on nodes (docker exec into a kind
	// node, ssh into a QEMU guest) for systemctl, crictl, iptables and tc.
	NodeAccess bool
	// NodeLifecycle is control over the node's machine from outside: power
	// off, graceful stop, freeze, reboot and its network link (docker
	// kill/stop/pause/restart and the veth's host end for kind, the QEMU
	// monitor for qemu).
	NodeLifecycle bool
	// NetEm is the sch_netem qdisc in the node's kernel (the host kernel for
	// kind), for packet loss and latency at layer node.
	NetEm bool
	// Toxiproxy is a toxiproxy on the gateway's uplink, for layer proxy.
	Toxiproxy bool
	// ChaosMesh is how much Chaos Mesh is needed for pod-level faults.
	ChaosMesh Need
}

// Merge returns the requirements of both r and o.
func (r Requirements) Merge(o Requirements) Requirements {
	out := r
	if out.Provider == "" || out.Provider == ProviderAny {
		out.Provider = o.Provider
	}
	if out.Arch == "" {
		out.Arch = o.Arch
	}
	out.MinNodes = max(r.MinNodes, o.MinNodes)
	out.MinZones = max(r.MinZones, o.MinZones)
	out.NodeAccess = r.NodeAccess || o.NodeAccess
	out.NodeLifecycle = r.NodeLifecycle || o.NodeLifecycle
	out.NetEm = r.NetEm || o.NetEm
	out.Toxiproxy = r.Toxiproxy || o.Toxiproxy
	out.ChaosMesh = r.ChaosMesh.max(o.ChaosMesh)
	return out
}

// Requirements returns what the fault needs. MinNodes and MinZones count
// the nodes and zones the target names plus, for faults that make nodes
// unready, one more to reschedule onto.
func (f *Fault) Requirements() Requirements {
	info := kinds[f.Kind]
	r := info.req
	switch f.Kind {
	case UplinkShape, UplinkFlap:
		if f.uplinkLayer() == LayerProxy {
			r.Toxiproxy = true
		} else {
			r.NodeAccess = true
			r.NetEm = f.Uplink != nil && (f.Uplink.Loss != nil || f.Uplink.Delay != nil)
		}
	case Stress:
		if f.Target != nil && f.Target.Pods != nil {
			r.ChaosMesh = NeedRequired
		} else {
			r.NodeAccess = true
		}
	}
	spare := int32(0)
	if info.unready {
		spare = 1
	}
	if t := f.Target; t != nil {
		switch {
		case len(t.Nodes) > 0:
			r.MinNodes = clampInt32(len(t.Nodes)) + spare
		case f.Kind == ZonePartition:
			r.MinZones, r.MinNodes = 2, 2
		case t.Zone != "" || len(t.NodeSelector) > 0:
			r.MinNodes = selectedNodes(t) + spare
			if t.Zone != "" && info.unready {
				r.MinZones = 1
			}
		}
	}
	return r
}

// selectedNodes is the fewest nodes a zone or nodeSelector target with its
// mode must match.
func selectedNodes(t *Target) int32 {
	if t.Mode == v1alpha1.FixedMode {
		if n, err := parsePositiveInt(t.Value, 1<<20); err == nil {
			return int32(n)
		}
	}
	return 1
}

// uplinkLayer is the layer of an uplink fault, defaulted.
func (f *Fault) uplinkLayer() UplinkLayer {
	if f.Uplink == nil || f.Uplink.Layer == "" {
		return LayerNode
	}
	return f.Uplink.Layer
}

// Disruptive reports whether the fault affects the cluster beyond the
// scenario's own fixtures (nodes, node services, node networking), so that
// it must not run in parallel with other tests on the same cluster.
// Pod-level faults, device faults, rollouts, proxy-layer uplink faults and
// stress inside pods are confined to the fixtures.
func (f *Fault) Disruptive() bool {
	switch f.Kind {
	case UplinkShape, UplinkFlap:
		return f.uplinkLayer() == LayerNode
	case Stress:
		return f.Target == nil || f.Target.Pods == nil
	}
	return kinds[f.Kind].disruptive
}

// Requirements returns what the whole scenario needs: the cluster spec
// merged with every fault's requirements.
func (s *Scenario) Requirements() Requirements {
	c := s.Spec.Cluster
	r := Requirements{Provider: c.Provider, Arch: c.Arch, MinNodes: c.Nodes, MinZones: c.Zones}
	for i := range s.Spec.Faults {
		r = r.Merge(s.Spec.Faults[i].Requirements())
	}
	if r.Provider == "" {
		r.Provider = ProviderAny
	}
	r.MinNodes, r.MinZones = max(r.MinNodes, 1), max(r.MinZones, 1)
	return r
}

// FaultKinds returns the distinct fault kinds the scenario injects, sorted;
// the runner turns them into test labels.
func (s *Scenario) FaultKinds() []FaultKind {
	var out []FaultKind
	for _, f := range s.Spec.Faults {
		if !slices.Contains(out, f.Kind) {
			out = append(out, f.Kind)
		}
	}
	slices.Sort(out)
	return out
}

// Disruptive reports whether any of the scenario's faults is disruptive.
func (s *Scenario) Disruptive() bool {
	for i := range s.Spec.Faults {
		if s.Spec.Faults[i].Disruptive() {
			return true
		}
	}
	return false
}

func clampInt32(n int) int32 {
	if n > 1<<30 {
		return 1 << 30
	}
	return int32(n)
}
