package native

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/edgeproof/edgeproof/chaos/internal/fakecluster"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

func TestPeersFor(t *testing.T) {
	cp := *fakecluster.KubeNode("cp", "172.18.0.2", "10.244.0.0/24", map[string]string{LabelControlPlane: ""})
	w1 := *fakecluster.KubeNode("w1", "172.18.0.3", "10.244.1.0/24", map[string]string{clusters.LabelZone: "a"})
	w2 := *fakecluster.KubeNode("w2", "172.18.0.4", "10.244.2.0/24", map[string]string{clusters.LabelZone: "b"})
	v6 := *fakecluster.KubeNode("v6", "fd00::5", "fd00:10::/64", nil)
	nodes := []corev1.Node{cp, w1, w2}

	p, err := PeersFor(scenarios.NodeIsolate, []string{"w1"}, nodes)
	if err != nil || !slices.Equal(p.Addrs, []string{"172.18.0.2"}) {
		t.Fatalf("isolate: %+v, %v", p, err)
	}
	// Without tier labels the uplink's far end is the control plane.
	p, err = PeersFor(scenarios.UplinkFlap, []string{"w1"}, nodes)
	if err != nil || !slices.Equal(p.Addrs, []string{"172.18.0.2", "10.244.0.0/24"}) {
		t.Fatalf("flap: %+v, %v", p, err)
	}
	// With tier labels, every cloud node.
	w2c := w2.DeepCopy()
	w2c.Labels = map[string]string{clusters.LabelTier: clusters.TierCloud}
	p, err = PeersFor(scenarios.UplinkFlap, []string{"w1"}, []corev1.Node{cp, w1, *w2c})
	if err != nil || !slices.Equal(p.Nodes, []string{"w2"}) {
		t.Fatalf("flap with tiers: %+v, %v", p, err)
	}
	p, err = PeersFor(scenarios.ZonePartition, []string{"w1"}, nodes)
	if err != nil || !slices.Equal(p.Nodes, []string{"cp", "w2"}) || len(p.Addrs) != 4 {
		t.Fatalf("partition: %+v, %v", p, err)
	}
	if _, err := PeersFor(scenarios.NodeIsolate, []string{"w1"}, []corev1.Node{w1, w2}); err == nil {
		t.Fatal("isolate without a control plane")
	}
	if _, err := PeersFor(scenarios.ZonePartition, []string{"w1"}, []corev1.Node{w1, v6}); err == nil || !strings.Contains(err.Error(), "IPv4") {
		t.Fatalf("IPv6-only peer: %v", err)
	}
}

func TestPlanShape(t *testing.T) {
	p, err := planShape(&scenarios.UplinkParams{Bandwidth: &scenarios.BandwidthSpec{Rate: "2mbps"}, Loss: &scenarios.LossSpec{Loss: 5}}, false)
	if err != nil || p.netem != nil || p.tbf.BitsPerSecond != 16e6 || p.tbf.Burst != scenarios.DefaultBandwidthBuffer || p.loss != 0.05 {
		t.Fatalf("plan = %+v, %v", p, err)
	}
	if got := len(p.commands("eth0")); got != 1 {
		t.Fatalf("%d tc commands", got)
	}
	if _, err := planShape(&scenarios.UplinkParams{Delay: &scenarios.DelaySpec{Latency: 1}}, false); err == nil {
		t.Fatal("latency planned without netem")
	}
	if _, err := planShape(&scenarios.UplinkParams{}, true); err == nil {
		t.Fatal("empty uplink planned")
	}
}

func TestStressCommand(t *testing.T) {
	full := int32(100)
	cmd := StressCommand("edgeproof-stress-x", &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 4, Load: &full}}, 0)
	if !slices.Equal(cmd[:4], []string{"systemd-run", "--unit=edgeproof-stress-x", "--collect", "--quiet"}) || slices.Contains(cmd, "-p") {
		t.Fatalf("full load must not set a quota: %q", cmd)
	}
	if script := cmd[len(cmd)-1]; !strings.Contains(script, "seq 4") || strings.Contains(script, "/dev/zero") || !strings.HasSuffix(script, "wait") {
		t.Fatalf("script %q", script)
	}
	mem := StressCommand("u", &scenarios.StressParams{Memory: &scenarios.MemoryStressor{Workers: 2, Size: "1GiB"}}, 1<<30)
	if script := mem[len(mem)-1]; !strings.Contains(script, "seq 2") || !strings.Contains(script, "head -c 1073741824 /dev/zero") {
		t.Fatalf("script %q", script)
	}
}

func TestMemory(t *testing.T) {
	avail, err := MemAvailable([]byte("MemTotal: 100 kB\nMemAvailable:    2000 kB\n"))
	if err != nil || avail != 2048000 {
		t.Fatalf("MemAvailable = %d, %v", avail, err)
	}
	if _, err := MemAvailable([]byte("MemTotal: 1 kB\n")); err == nil {
		t.Fatal("missing MemAvailable accepted")
	}
	for _, c := range []struct {
		size string
		want uint64
	}{{"50%", 1024000}, {"256MB", 256e6}, {"1GiB", 1 << 30}} {
		got, err := MemoryBytes(c.size, avail)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.size, got, err, c.want)
		}
	}
	for _, bad := range []string{"0%", "101%", "lots"} {
		if _, err := MemoryBytes(bad, avail); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// A control-plane node of a cluster edgeproof did not create is refused,
// by name or through a selector, unless the fault's target allows it.
func TestControlPlaneOnlyWhenTheTargetAllowsIt(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.fb.Node("cp").Remote = true
	e.fb.Node("cp").ControlPlane = true
	stress := func(target scenarios.Target) scenarios.Fault {
		return scenarios.Fault{Name: "f", Kind: scenarios.Stress, Duration: scenarios.Duration(30 * time.Second),
			Stress: &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 1}}, Target: &target}
	}
	for _, target := range []scenarios.Target{{Nodes: []string{"cp"}}, {Zone: "cloud"}} {
		_, _, err := e.b.Preflight(ctx, stress(target))
		var cp *clusters.ControlPlaneError
		if !errors.As(err, &cp) || !strings.Contains(err.Error(), "allowControlPlane") {
			t.Errorf("%+v: got %v, want the control-plane refusal", target, err)
		}
		target.AllowControlPlane = true
		if ok, why, err := e.b.Preflight(ctx, stress(target)); !ok || err != nil {
			t.Errorf("%+v allowing the control plane: ok %v, %q, %v", target, ok, why, err)
		}
	}
}
