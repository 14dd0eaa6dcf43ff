package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/slo"
)

// TestDeviceTailsKeepsGonePods: a simulator replaced after its node failed
// is tail-checked against the most its ledger or its last reading says it
// acknowledged, and a loss in it is counted.
func TestDeviceTailsKeepsGonePods(t *testing.T) {
	row := func(id string, boot, acked uint64) workload.DeviceRow {
		return workload.DeviceRow{ID: id, Boot: boot, Generated: acked, Acked: acked}
	}
	src := tailSources{
		final: []workload.DeviceCounters{{Pod: "sim-new", PerDevice: []workload.DeviceRow{row("d1", 20, 50)}}},
		earlier: map[string]workload.DeviceCounters{
			// The live pod's earlier reading is older than the final one.
			"sim-new/14": {Pod: "sim-new", PerDevice: []workload.DeviceRow{row("d1", 20, 10)}},
			// Gone with its node: last polled at 40 and 30 acknowledged.
			"sim-old/a": {Pod: "sim-old", Node: "edge-b", PerDevice: []workload.DeviceRow{row("d1", 10, 40), row("d2", 11, 30)}},
		},
		// Its ledger, read from the node after the heal, knows more: it
		// went on being acknowledged while it could not be polled.
		ledgers: []workload.Ledger{{Node: "edge-b", Pod: "sim-old", Rows: []workload.DeviceRow{row("d1", 10, 45), row("d2", 11, 30)}}},
	}
	next := map[string]uint64{"d1/20": 50, "d1/10": 40, "d2/11": 25} // d1 boot 10 lost its last 5, d2 its last 5
	tails, st := deviceTails(src, next)
	if st != (tailStats{fromLedger: 2}) {
		t.Fatalf("stats = %+v, want 2 boots from the ledger", st)
	}
	want := []slo.DeviceTail{
		{Device: "d1", Boot: "20", Acked: 50, NextSeq: 50},
		{Device: "d1", Boot: "10", Acked: 45, NextSeq: 40},
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
	if d := slo.MeasureDelivery(slo.SinkTotals{Received: 115, Measured: 100}, tails); d.TailLost != 10 || !d.Lost.Known {
		t.Fatalf("lost = %v, tail lost = %d, want 10", d.Lost, d.TailLost)
	}
}

// TestDeviceTailsUnreadLedger: a simulator last polled before its node was
// cut off, whose ledger could not be read afterwards, makes lost Unknown
// even though its last reading shows nothing missing: what it acknowledged
// after that reading is not known.
func TestDeviceTailsUnreadLedger(t *testing.T) {
	src := tailSources{
		earlier: map[string]workload.DeviceCounters{
			"sim-cut/1": {Pod: "sim-cut", Node: "edge-b", PerDevice: []workload.DeviceRow{{ID: "d1", Boot: 1, Acked: 40}}},
		},
		unread: map[string]error{"edge-b": errors.New("exec: container not running")},
	}
	tails, st := deviceTails(src, map[string]uint64{"d1/1": 40})
	if st.unread != 1 || len(tails) != 1 || !strings.Contains(tails[0].Unread, "edge-b") {
		t.Fatalf("tails %+v stats %+v", tails, st)
	}
	d := slo.MeasureDelivery(slo.SinkTotals{Received: 40, Measured: 40}, tails)
	if d.Lost.Known || !strings.Contains(d.Lost.Reason, "container not running") {
		t.Fatalf("lost = %v, want Unknown naming the ledger error", d.Lost)
	}
	// A boot only the sink saw, with every node read, is not established
	// either: its acknowledged count was never read.
	only, _ := deviceTails(tailSources{}, map[string]uint64{"d9/7": 12})
	if len(only) != 1 || only[0].Device != "d9" || only[0].Boot != "7" || !strings.Contains(only[0].Unread, "received by the sink") {
		t.Fatalf("sink-only boot: %+v", only)
	}
	// A ledger that was read but lacks the boot is no better.
	src.unread = nil
	tails, _ = deviceTails(src, map[string]uint64{"d1/1": 40})
	if !strings.Contains(tails[0].Unread, "no ledger holds it") {
		t.Fatalf("tail %+v", tails[0])
	}
}
