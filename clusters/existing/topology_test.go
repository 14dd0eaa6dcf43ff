package existing

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/edgeproof/edgeproof/clusters"
)

const siteTopology = `  topology:
    cloud: {nodes: [server]}
    zones:
    - name: edge-a
      nodeSelector: {site: north}
    - name: edge-b
      nodes: [pi-3]
`

func siteNodes() []corev1.Node {
	return []corev1.Node{
		kubeNode("server", map[string]string{"node-role.kubernetes.io/control-plane": ""}),
		kubeNode("pi-1", map[string]string{"site": "north"}),
		kubeNode("pi-2", map[string]string{"site": "north", clusters.LabelZone: "edge-a"}),
		kubeNode("pi-3", map[string]string{"site": "south"}),
		kubeNode("spare", nil),
	}
}

func TestTopologyPlanAddsOnlyWhatIsMissing(t *testing.T) {
	f := fleet(t, siteTopology)
	plan, err := topologyPlan(f.Spec.Topology, f.Source(), siteNodes())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"server": "edgeproof.dev/tier=cloud, topology.kubernetes.io/zone=cloud",
		"pi-1":   "edgeproof.dev/tier=edge, topology.kubernetes.io/zone=edge-a",
		"pi-2":   "edgeproof.dev/tier=edge", // its zone label already agrees
		"pi-3":   "edgeproof.dev/tier=edge, topology.kubernetes.io/zone=edge-b",
	}
	if len(plan) != len(want) {
		t.Errorf("plan %v: want %d nodes", plan, len(want))
	}
	for node, labels := range want {
		if got := describeLabels(plan[node]); got != labels {
			t.Errorf("node %s: %q, want %q", node, got, labels)
		}
	}
}

// TestTopologyPlanRefuses: every mistake is named before any node is
// touched, with the fleet file and field.
func TestTopologyPlanRefuses(t *testing.T) {
	conflict := siteNodes()
	conflict[3].Labels[clusters.LabelZone] = "us-east-1a"
	for name, tc := range map[string]struct {
		topology string
		nodes    []corev1.Node
		want     string
	}{
		"their label says otherwise": {siteTopology, conflict,
			"spec.topology.zones[1]: node pi-3 is labelled topology.kubernetes.io/zone=us-east-1a, the fleet file maps it to edge-b: edgeproof does not change labels it did not set"},
		"mapped twice": {"  topology:\n    zones:\n    - {name: edge-a, nodes: [pi-1]}\n    - {name: edge-b, nodeSelector: {site: north}}\n", siteNodes(),
			"spec.topology.zones[1]: node pi-1 is also mapped by spec.topology.zones[0]"},
		"no such node": {"  topology:\n    zones:\n    - {name: edge-a, nodes: [pi-9]}\n", siteNodes(),
			"fleet file fleet.yaml, spec.topology.zones[0]: the cluster has no node pi-9"},
		"selector matches nothing": {"  topology:\n    zones:\n    - {name: edge-a, nodeSelector: {site: west}}\n", siteNodes(),
			"spec.topology.zones[0]: nodeSelector map[site:west] matches no node"},
	} {
		f := fleet(t, tc.topology)
		if _, err := topologyPlan(f.Spec.Topology, f.Source(), tc.nodes); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

// TestTopologyLabelsComeOffAgain labels a cluster for a run and removes
// exactly what it added; a dry run changes nothing.
func TestTopologyLabelsComeOffAgain(t *testing.T) {
	var objs []corev1.Node
	objs = append(objs, siteNodes()...)
	cs := fake.NewClientset(&objs[0], &objs[1], &objs[2], &objs[3], &objs[4])
	var said []string
	d := &Driver{cs: cs, o: Options{Fleet: fleet(t, siteTopology), NoAgent: true,
		Logf: func(f string, a ...any) { said = append(said, f) }}}
	if err := d.applyTopology(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, _ := cs.CoreV1().Nodes().Get(t.Context(), "pi-1", metav1.GetOptions{}); n.Labels[clusters.LabelTier] != "" {
		t.Fatal("a dry run labelled a node")
	}
	if len(said) != 4 || !strings.HasPrefix(said[0], "would label") {
		t.Errorf("dry run said %q", said)
	}

	d.o.NoAgent = false
	if err := d.applyTopology(t.Context()); err != nil {
		t.Fatal(err)
	}
	n, _ := cs.CoreV1().Nodes().Get(t.Context(), "pi-2", metav1.GetOptions{})
	if n.Labels[clusters.LabelTier] != clusters.TierEdge || n.Annotations[AnnotationLabelsAdded] != clusters.LabelTier {
		t.Fatalf("pi-2 labels %v, annotations %v", n.Labels, n.Annotations)
	}
	if err := d.removeTopology(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range siteNodes() {
		got, _ := cs.CoreV1().Nodes().Get(t.Context(), want.Name, metav1.GetOptions{})
		if len(got.Labels) != len(want.Labels) || got.Labels[clusters.LabelZone] != want.Labels[clusters.LabelZone] || len(got.Annotations) != 0 {
			t.Errorf("node %s after the run: labels %v annotations %v, want labels %v", want.Name, got.Labels, got.Annotations, want.Labels)
		}
	}
}

// TestTopologyKeepsACloudNodesOwnZone: scenarios name edge zones only, so
// a cloud node's zone (a managed cluster's) is left as it is.
func TestTopologyKeepsACloudNodesOwnZone(t *testing.T) {
	nodes := siteNodes()
	nodes[0].Labels[clusters.LabelZone] = "us-east-1a"
	f := fleet(t, siteTopology)
	plan, err := topologyPlan(f.Spec.Topology, f.Source(), nodes)
	if err != nil {
		t.Fatal(err)
	}
	if got := describeLabels(plan["server"]); got != "edgeproof.dev/tier=cloud" {
		t.Errorf("cloud node gets %q, want the tier only", got)
	}
}
