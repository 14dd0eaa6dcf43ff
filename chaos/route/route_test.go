package route

import (
	"context"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/client-go/kubernetes/fake"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/chaosmesh"
	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/native"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "native": ModeNative, "chaos-mesh": ModeChaosMesh} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("litmus"); err == nil {
		t.Error("unknown mode accepted")
	}
}

func router(t *testing.T, mode Mode, mesh chaosmesh.Status) (*Router, *fakecluster.Driver) {
	t.Helper()
	fb, c := fakecluster.New(t, "route", "cp", "b1")
	kube := fake.NewClientset(
		fakecluster.KubeNode("cp", "172.18.0.2", "10.244.0.0/24", map[string]string{clusters.LabelTier: clusters.TierCloud, native.LabelControlPlane: ""}),
		fakecluster.KubeNode("b1", "172.18.0.3", "10.244.1.0/24", map[string]string{clusters.LabelZone: "edge-b", clusters.LabelTier: clusters.TierEdge}),
	)
	j, err := journal.Open(c.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	res := &chaos.Resolver{Kube: kube, Namespace: "work"}
	cm := chaosmesh.New(crfake.NewClientBuilder().WithScheme(chaosmesh.Scheme()).Build(), kube, j, res, "work")
	cm.Status = &mesh
	return &Router{Mode: mode, Native: native.New(c, kube, j, res), ChaosMesh: cm, Journal: j}, fb
}

func TestFor(t *testing.T) {
	ctx := context.Background()
	ready := chaosmesh.Status{CRDs: true, Controller: true, Daemon: true}
	pods := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{}}
	nodes := &scenarios.Target{Nodes: []string{"b1"}}
	faults := map[string]scenarios.Fault{
		"power":       {Kind: scenarios.NodePowerLoss, Target: nodes},
		"pod-kill":    {Kind: scenarios.PodKill, Target: pods},
		"pod-failure": {Kind: scenarios.PodFailure, Target: pods},
		"stress-pods": {Kind: scenarios.Stress, Target: pods},
		"stress-node": {Kind: scenarios.Stress, Target: nodes},
		"uplink":      {Kind: scenarios.UplinkShape, Target: nodes, Uplink: &scenarios.UplinkParams{}},
	}
	cases := []struct {
		mode   Mode
		status chaosmesh.Status
		want   map[string]string
	}{
		{ModeAuto, ready, map[string]string{"power": "native", "pod-kill": "chaos-mesh", "pod-failure": "chaos-mesh", "stress-pods": "chaos-mesh", "stress-node": "native", "uplink": "native"}},
		{ModeAuto, chaosmesh.Status{}, map[string]string{"power": "native", "pod-kill": "native", "pod-failure": "chaos-mesh", "stress-node": "native"}},
		{ModeNative, ready, map[string]string{"power": "native", "pod-kill": "native", "pod-failure": "native", "stress-pods": "native", "uplink": "native"}},
		{ModeChaosMesh, chaosmesh.Status{}, map[string]string{"power": "native", "pod-kill": "chaos-mesh", "uplink": "chaos-mesh", "stress-node": "native"}},
	}
	for _, c := range cases {
		r, _ := router(t, c.mode, c.status)
		for name, want := range c.want {
			b, err := r.For(ctx, faults[name])
			if err != nil || b.Name() != want {
				t.Errorf("%s/%v %s: %v, %v; want %s", c.mode, c.status.Installed(), name, b, err, want)
			}
		}
		if _, err := r.For(ctx, scenarios.Fault{Kind: scenarios.DeviceStorm}); !chaos.IsWorkloadFault(err) {
			t.Errorf("device-storm: %v", err)
		}
	}
}

func TestPreflight(t *testing.T) {
	ctx := context.Background()
	pods := &scenarios.Target{Pods: &v1alpha1.ContainerSelector{}}
	r, fb := router(t, ModeAuto, chaosmesh.Status{Missing: []string{"CRD podchaos.chaos-mesh.org (Chaos Mesh is not installed)"}})
	if ok, reason, _ := r.Preflight(ctx, scenarios.Fault{Kind: scenarios.PodFailure, Target: pods}); ok || !strings.Contains(reason, "chaos-mesh: Chaos Mesh is not ready") {
		t.Errorf("pod-failure without Chaos Mesh: %v %q", ok, reason)
	}
	if ok, reason, _ := r.Preflight(ctx, scenarios.Fault{Kind: scenarios.PodKill, Target: pods}); !ok {
		t.Errorf("pod-kill falls back to native: %q", reason)
	}
	if ok, _, err := r.Preflight(ctx, scenarios.Fault{Kind: scenarios.RollingUpdate}); ok || err == nil || !strings.Contains(err.Error(), "workload driver") {
		t.Errorf("rolling-update: %v %v", ok, err)
	}

	// Chaos Mesh's netem needs sch_netem on the nodes too.
	r, fb = router(t, ModeChaosMesh, chaosmesh.Status{CRDs: true, Controller: true, Daemon: true})
	fb.NoNetem = true
	loss := scenarios.Fault{Kind: scenarios.UplinkShape, Target: &scenarios.Target{Zone: "edge-b"}, Uplink: &scenarios.UplinkParams{Loss: &scenarios.LossSpec{Loss: 1}}}
	if ok, reason, _ := r.Preflight(ctx, loss); ok || !strings.Contains(reason, "sch_netem, absent on this host (probed on node b1)") {
		t.Errorf("chaos-mesh loss without netem: %v %q", ok, reason)
	}
	loss.Uplink = &scenarios.UplinkParams{Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit"}}
	if ok, reason, _ := r.Preflight(ctx, loss); !ok {
		t.Errorf("chaos-mesh bandwidth: %q", reason)
	}
}
