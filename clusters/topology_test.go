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
	if topo.Spec.Profile != ProfileFastFailure {
		t.Errorf("profile = %q", topo.Spec.Profile)
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
`, "t.yaml: spec.edgeZones[0].nodes: must be between 1 and 20, got 0"},
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
