package engine

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

func edgeNode(zone, arch string, labels map[string]string) corev1.Node {
	l := map[string]string{clusters.LabelTier: clusters.TierEdge, clusters.LabelZone: zone}
	for k, v := range labels {
		l[k] = v
	}
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: l}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Architecture: arch}}}
}

func TestUnmet(t *testing.T) {
	kindOnly := []corev1.Node{edgeNode("a", "amd64", nil), edgeNode("b", "amd64", nil)}
	mixed := append(kindOnly, edgeNode("arm", "arm64", map[string]string{clusters.LabelProvider: "qemu"}))
	for name, c := range map[string]struct {
		r     scenarios.Requirements
		nodes []corev1.Node
		want  string
	}{
		"fits":              {scenarios.Requirements{MinNodes: 2, MinZones: 2}, kindOnly, ""},
		"too few nodes":     {scenarios.Requirements{MinNodes: 3}, kindOnly, "needs 3 edge nodes"},
		"no arm64":          {scenarios.Requirements{Arch: scenarios.ArchARM64}, kindOnly, "needs arm64 edge nodes"},
		"arm64 present":     {scenarios.Requirements{Arch: scenarios.ArchARM64}, mixed, ""},
		"no qemu nodes":     {scenarios.Requirements{Provider: scenarios.ProviderQEMU}, kindOnly, "needs QEMU edge nodes"},
		"qemu nodes joined": {scenarios.Requirements{Provider: scenarios.ProviderQEMU, Arch: scenarios.ArchARM64}, mixed, ""},
	} {
		got := unmet(c.r, c.nodes)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: unmet = %q, want %q", name, got, c.want)
		}
	}
}
