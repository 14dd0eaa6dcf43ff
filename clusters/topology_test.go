package clusters

import (
	"strings"
	"testing"
)

func TestDefaultTopology(t *testing.T) {
	topo, err := LoadTopology("configs/edge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Spec.Timers != TimersFastFailure {
		t.Errorf("profile = %q", topo.Spec.Timers)
	}
	zones := topo.WorkerZones()
	if len(zones) != 3 || zones[0].Name != "edge-a" || zones[2].Name != "edge-b" {
		t.Errorf("worker zones = %+v", zones)
	}
}

func TestTopologyErrors(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"unknown field": {`apiVersion: edgeproof.dev/v1alpha1
kind: Topology
spec:
  edgeZones:
  - name: a
    nodez: 2
`, "t.yaml: line 6: field nodez not found in type clusters.EdgeZone"},
		"bad count": {`apiVersion: edgeproof.dev/v1alpha1
kind: Topology
spec:
  edgeZones:
  - {name: a, nodes: 0}
`, "t.yaml: spec.edgeZones[0].nodes: a zone needs at least one node (nodes or arm64Nodes)"},
		"too many": {`apiVersion: edgeproof.dev/v1alpha1
kind: Topology
spec:
  edgeZones:
  - {name: a, nodes: 21, arm64Nodes: 5}
`, "t.yaml: spec.edgeZones[0].nodes: must be between 0 and 20, got 21\nt.yaml: spec.edgeZones[0].arm64Nodes: must be between 0 and 4, got 5"},
		"wrong kind": {`apiVersion: v1
kind: Pod
spec: {edgeZones: [{name: a, nodes: 1}]}
`, "t.yaml: apiVersion: must be edgeproof.dev/v1alpha1"},
		"syntax": {"spec: [", "t.yaml: line 1"},
		"empty":  {"", "t.yaml: empty topology file"},
		"dup zone": {`apiVersion: edgeproof.dev/v1alpha1
kind: Topology
spec: {edgeZones: [{name: cloud, nodes: 1}]}
`, `spec.edgeZones[0].name: zone "cloud" appears twice`},
	}
	for name, c := range cases {
		_, err := ParseTopology("t.yaml", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestARM64Workers(t *testing.T) {
	topo, err := ParseTopology("t.yaml", []byte(`apiVersion: edgeproof.dev/v1alpha1
kind: Topology
spec:
  edgeZones:
  - {name: a, nodes: 1}
  - {name: arm, nodes: 1, arm64Nodes: 2}
  - {name: armonly, nodes: 0, arm64Nodes: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, z := range topo.ARM64Workers() {
		zones = append(zones, z.Name)
	}
	if strings.Join(zones, ",") != "arm,arm,armonly" || len(topo.WorkerZones()) != 2 {
		t.Fatalf("arm64 workers %v, kind workers %d", zones, len(topo.WorkerZones()))
	}
	plain, had := topo.WithoutARM64()
	if !had || len(plain.Spec.EdgeZones) != 2 || len(plain.ARM64Workers()) != 0 || len(topo.ARM64Workers()) != 3 {
		t.Fatalf("WithoutARM64: had=%v zones=%+v", had, plain.Spec.EdgeZones)
	}
}
