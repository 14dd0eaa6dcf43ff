package engine

import (
	"testing"
	"time"
)

func TestStalledForCountsOnlyStandingStill(t *testing.T) {
	var p stallClock
	t0 := time.Unix(1000, 0)
	if d := p.stalledFor(t0, 131, 0, 90); d != 0 {
		t.Fatalf("first sample: stalled %s, want 0", d)
	}
	if d := p.stalledFor(t0.Add(20*time.Second), 131, 0, 90); d != 20*time.Second {
		t.Fatalf("unchanged counts: stalled %s, want 20s", d)
	}
	// Any count that moves restarts the clock: devices handing over,
	// a gateway queue draining, the sink receiving.
	for i, next := range [][3]uint64{{130, 0, 90}, {130, 5, 90}, {130, 5, 91}} {
		at := t0.Add(time.Duration(30+i) * time.Second)
		if d := p.stalledFor(at, next[0], next[1], next[2]); d != 0 {
			t.Errorf("step %d: counts moved to %v but stalled %s", i, next, d)
		}
	}
	if d := p.stalledFor(t0.Add(2*time.Minute), 130, 5, 91); d < drainStall {
		t.Errorf("nothing moved for 88s: stalled %s, want at least %s", d, drainStall)
	}
}
