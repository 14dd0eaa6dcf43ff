package scenarios

import (
	"slices"
	"testing"
)

func TestFaultRequirements(t *testing.T) {
	pods := &Target{Pods: podTarget()}
	for _, tc := range []struct {
		name       string
		f          Fault
		want       Requirements
		disruptive bool
	}{
		{"power loss", Fault{Kind: NodePowerLoss, Target: &Target{Nodes: []string{"a"}}},
			Requirements{NodeLifecycle: true, MinNodes: 2}, true},
		{"zone partition", Fault{Kind: ZonePartition, Target: &Target{Zone: "z"}},
			Requirements{NodeAccess: true, MinNodes: 2, MinZones: 2}, true},
		{"shape node latency", Fault{Kind: UplinkShape, Target: &Target{Zone: "z"}, Uplink: &UplinkParams{Delay: &DelaySpec{Latency: 1}}},
			Requirements{NodeAccess: true, NetEm: true, MinNodes: 1}, true},
		{"shape node bandwidth", Fault{Kind: UplinkShape, Target: &Target{Zone: "z"}, Uplink: &UplinkParams{Bandwidth: &BandwidthSpec{Rate: "1mbit"}}},
			Requirements{NodeAccess: true, MinNodes: 1}, true},
		{"flap proxy", Fault{Kind: UplinkFlap, Target: &Target{Zone: "z"}, Uplink: &UplinkParams{Layer: LayerProxy}},
			Requirements{Toxiproxy: true, MinNodes: 1}, false},
		{"pod kill", Fault{Kind: PodKill, Target: pods}, Requirements{ChaosMesh: NeedOptional}, false},
		{"pod failure", Fault{Kind: PodFailure, Target: pods}, Requirements{ChaosMesh: NeedRequired}, false},
		{"stress pods", Fault{Kind: Stress, Target: pods}, Requirements{ChaosMesh: NeedRequired}, false},
		{"stress node", Fault{Kind: Stress, Target: &Target{Nodes: []string{"a"}}}, Requirements{NodeAccess: true, MinNodes: 1}, true},
		{"fixed selector", Fault{Kind: NodeStop, Target: &Target{NodeSelector: map[string]string{"a": "b"}, Mode: "fixed", Value: "2"}},
			Requirements{NodeLifecycle: true, MinNodes: 3}, true},
		{"device storm", Fault{Kind: DeviceStorm}, Requirements{}, false},
	} {
		if got := tc.f.Requirements(); got != tc.want {
			t.Errorf("%s: Requirements() = %+v, want %+v", tc.name, got, tc.want)
		}
		if got := tc.f.Disruptive(); got != tc.disruptive {
			t.Errorf("%s: Disruptive() = %v, want %v", tc.name, got, tc.disruptive)
		}
	}
}

func TestScenarioRequirements(t *testing.T) {
	s, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := s.Requirements()
	want := Requirements{Provider: ProviderQEMU, Arch: ArchARM64, MinNodes: 3, MinZones: 2,
		NodeAccess: true, NodeLifecycle: true, Toxiproxy: true, ChaosMesh: NeedRequired}
	if r != want {
		t.Errorf("Requirements() = %+v\nwant %+v", r, want)
	}
	if !s.Disruptive() {
		t.Error("full scenario should be disruptive")
	}
	if got := s.FaultKinds(); !slices.Equal(got, sortedKinds(AllFaultKinds())) {
		t.Errorf("FaultKinds() = %v", got)
	}
}

func TestEveryKindHasTableEntry(t *testing.T) {
	for _, k := range AllFaultKinds() {
		if !k.IsValid() {
			t.Errorf("%s has no kinds table entry", k)
		}
	}
	if len(kinds) != len(faultKindOrder) {
		t.Errorf("kinds table has %d entries, order list %d", len(kinds), len(faultKindOrder))
	}
	for _, k := range objectiveKinds {
		if len(k.Metrics()) == 0 {
			t.Errorf("objective kind %s has no metrics", k)
		}
	}
	for _, k := range []FaultKind{PodKill, PodFailure, ContainerKill} {
		if a, ok := k.PodChaosAction(); !ok || string(a) != string(k) {
			t.Errorf("PodChaosAction(%s) = %q, %v", k, a, ok)
		}
	}
}

func sortedKinds(k []FaultKind) []FaultKind { slices.Sort(k); return k }
