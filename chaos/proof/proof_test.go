package proof

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// TestInForceFollowsTheInjectors injects every lasting native fault into a
// fake cluster, shows it in force from its journal entry, heals it and
// checks that the same proof now fails with ErrNotInForce: the proof reads
// the node, not the injector's word.
func TestInForceFollowsTheInjectors(t *testing.T) {
	_, c := fakecluster.New(t, "edge", "cp", "a1", "b1")
	edge := func(zone string) map[string]string {
		return map[string]string{clusters.LabelZone: zone, clusters.LabelTier: clusters.TierEdge}
	}
	kube := fake.NewClientset([]runtime.Object{
		fakecluster.KubeNode("cp", "172.18.0.2", "10.244.0.0/24", map[string]string{
			clusters.LabelZone: "cloud", clusters.LabelTier: clusters.TierCloud, native.LabelControlPlane: ""}),
		fakecluster.KubeNode("a1", "172.18.0.3", "10.244.1.0/24", edge("edge-a")),
		fakecluster.KubeNode("b1", "172.18.0.5", "10.244.3.0/24", edge("edge-b")),
	}...)
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	b := native.New(c, kube, j, &chaos.Resolver{Kube: kube, Namespace: "work"})
	ctx := context.Background()
	for _, f := range []scenarios.Fault{
		{Name: "power", Kind: scenarios.NodePowerLoss},
		{Name: "pause", Kind: scenarios.NodePause},
		{Name: "kubelet", Kind: scenarios.KubeletStop},
		{Name: "cut", Kind: scenarios.NodeIsolate, Isolation: &scenarios.IsolationParams{Direction: scenarios.DirectionBoth}},
		{Name: "cable", Kind: scenarios.NodeLinkDown},
		{Name: "shape", Kind: scenarios.UplinkShape, Uplink: &scenarios.UplinkParams{Layer: scenarios.LayerNode,
			Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit", Limit: scenarios.DefaultBandwidthLimit, Buffer: scenarios.DefaultBandwidthBuffer}}},
	} {
		t.Run(f.Name, func(t *testing.T) {
			f.Target = &scenarios.Target{Nodes: []string{"b1"}}
			heal, err := b.Inject(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			pending, err := j.Pending()
			if err != nil || len(pending) != 1 {
				t.Fatalf("pending %v %v", pending, err)
			}
			lines, err := InForce(ctx, c, nil, pending[0])
			if err != nil || len(lines) == 0 || !strings.Contains(lines[0], "b1") {
				t.Fatalf("in force: %v %v", lines, err)
			}
			t.Logf("evidence: %s", strings.Join(lines, "; "))
			if err := heal(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := InForce(ctx, c, nil, pending[0]); !errors.Is(err, ErrNotInForce) {
				t.Fatalf("after healing: %v, want ErrNotInForce", err)
			}
		})
	}
	if _, err := InForce(ctx, c, nil, journal.Entry{ID: "x", Fault: "f"}); err == nil {
		t.Error("an entry without recovery steps was shown in force")
	}
	cr := journal.Entry{ID: "y", Fault: "pods", Recovery: []journal.Action{{Op: journal.OpDeleteCR, Kind: "PodChaos", Name: "p"}}}
	if _, err := InForce(ctx, c, nil, cr); err == nil {
		t.Error("a chaos object was shown in force without a check for it")
	}
}
