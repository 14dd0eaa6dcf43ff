package engine

import (
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/scenarios"
)

func TestUplinkToxicsShape(t *testing.T) {
	f := scenarios.Fault{Name: "slow", Kind: scenarios.UplinkShape, Uplink: &scenarios.UplinkParams{
		Layer:     scenarios.LayerProxy,
		Bandwidth: &scenarios.BandwidthSpec{Rate: "64kbit"},
		Delay:     &scenarios.DelaySpec{Latency: scenarios.Duration(300 * time.Millisecond), Jitter: scenarios.Duration(20 * time.Millisecond)},
	}}
	got, err := uplinkToxics(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("want a bandwidth and a latency toxic, got %+v", got)
	}
	bw, lat := got[0], got[1]
	if bw.Name != "slow-bandwidth-upstream" || bw.Type != "bandwidth" || bw.Stream != "upstream" || bw.Attributes["rate"] != 8 || bw.Toxicity != 1 {
		t.Errorf("bandwidth toxic %+v: 64 kbit/s is 8 KB/s upstream", bw)
	}
	if lat.Type != "latency" || lat.Stream != "upstream" || lat.Attributes["latency"] != 300 || lat.Attributes["jitter"] != 20 {
		t.Errorf("latency toxic %+v", lat)
	}
}

func TestUplinkToxicsFlap(t *testing.T) {
	f := scenarios.Fault{Name: "cut", Kind: scenarios.UplinkFlap, Uplink: &scenarios.UplinkParams{Layer: scenarios.LayerProxy}}
	got, err := uplinkToxics(f)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string]bool{}
	for _, x := range got {
		if x.Type != "timeout" || x.Attributes["timeout"] != 0 {
			t.Errorf("flap toxic %+v: want timeout 0 (a blackhole that holds the connection)", x)
		}
		streams[x.Stream] = true
	}
	if !streams["upstream"] || !streams["downstream"] || len(got) != 2 {
		t.Errorf("flap must cut both streams: %+v", got)
	}
}

func TestUplinkToxicsRefusesLoss(t *testing.T) {
	f := scenarios.Fault{Name: "lossy", Kind: scenarios.UplinkShape, Uplink: &scenarios.UplinkParams{
		Layer: scenarios.LayerProxy, Loss: &scenarios.LossSpec{Loss: 2}}}
	if _, err := uplinkToxics(f); err == nil {
		t.Error("loss at layer proxy should be refused")
	}
}

func TestProxyRate(t *testing.T) {
	for bits, want := range map[uint64]int64{64e3: 8, 256e3: 32, 1e6: 125, 800: 1, 12e3: 2} {
		if got := proxyRate(bits); got != want {
			t.Errorf("proxyRate(%d) = %d, want %d", bits, got, want)
		}
	}
}
