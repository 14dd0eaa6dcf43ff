package engine

import (
	"testing"

	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/slo"
)

// TestDeviceTailsKeepsGonePods: a simulator replaced after its node failed
// is tail-checked against its last reading, and a loss in it is counted.
func TestDeviceTailsKeepsGonePods(t *testing.T) {
	row := func(id string, boot, acked uint64) workload.DeviceRow {
		return workload.DeviceRow{ID: id, Boot: boot, Generated: acked, Acked: acked}
	}
	final := []workload.DeviceCounters{{Pod: "sim-new", PerDevice: []workload.DeviceRow{row("d1", 20, 50)}}}
	earlier := map[string]workload.DeviceCounters{
		// The live pod's earlier reading is older than the final one.
		"sim-new": {Pod: "sim-new", PerDevice: []workload.DeviceRow{row("d1", 20, 10)}},
		// Gone with its node: d1's first boot acknowledged 40 seqs, d2's 30.
		"sim-old": {Pod: "sim-old", PerDevice: []workload.DeviceRow{row("d1", 10, 40), row("d2", 11, 30)}},
	}
	next := map[string]uint64{"d1/20": 50, "d1/10": 40, "d2/11": 25} // d2 lost its last 5
	tails, gone := deviceTails(final, earlier, next)
	if gone != (goneSims{pods: 1, boots: 2}) {
		t.Fatalf("gone = %+v, want 1 pod, 2 boots", gone)
	}
	want := []slo.DeviceTail{
		{Device: "d1", Boot: "20", Acked: 50, NextSeq: 50},
		{Device: "d1", Boot: "10", Acked: 40, NextSeq: 40},
		{Device: "d2", Boot: "11", Acked: 30, NextSeq: 25},
	}
	if len(tails) != len(want) {
		t.Fatalf("tails = %+v, want %+v", tails, want)
	}
	for i := range want {
		if tails[i] != want[i] {
			t.Fatalf("tail %d = %+v, want %+v", i, tails[i], want[i])
		}
	}
	if d := slo.MeasureDelivery(slo.SinkTotals{Received: 115}, tails); d.TailLost != 5 {
		t.Fatalf("tail lost = %d, want 5", d.TailLost)
	}
}
