package scenarios

import (
	"testing"
	"time"
)

func TestWindows(t *testing.T) {
	seed := int64(42)
	f := Fault{At: Duration(30 * time.Second), Duration: Duration(10 * time.Second),
		Repeat: &Repeat{Count: 6, Period: Duration(40 * time.Second), Jitter: Duration(5 * time.Second), Seed: &seed}}
	w := f.Windows()
	if len(w) != 6 {
		t.Fatalf("%d windows", len(w))
	}
	if w[0].Start != 30*time.Second {
		t.Errorf("first window starts at %v, want at", w[0].Start)
	}
	for i, x := range w {
		base := 30*time.Second + time.Duration(i)*40*time.Second
		if x.Start < base || x.Start >= base+5*time.Second || x.End-x.Start != 10*time.Second {
			t.Errorf("window %d = %+v out of bounds", i, x)
		}
		if x.Start%time.Millisecond != 0 {
			t.Errorf("window %d starts at %v, not a whole millisecond", i, x.Start)
		}
		if i > 0 && x.Start <= w[i-1].End {
			t.Errorf("window %d overlaps the previous one", i)
		}
		if x.End > f.LatestEnd() {
			t.Errorf("window %d ends after LatestEnd %v", i, f.LatestEnd())
		}
	}
	// The timeline is part of the format's contract: pin it.
	if got, want := w[1].Start, 70*time.Second+160*time.Millisecond; got != want {
		t.Errorf("second start = %v, want %v (seeded jitter changed)", got, want)
	}
	again := f.Windows()
	for i := range w {
		if w[i] != again[i] {
			t.Fatal("Windows is not deterministic")
		}
	}
	other := int64(43)
	f.Repeat.Seed = &other
	if f.Windows()[1] == w[1] {
		t.Error("a different seed gave the same jitter")
	}
}

func TestWindowsSingleAndInstant(t *testing.T) {
	f := Fault{Kind: PodKill, At: Duration(time.Minute)}
	if w := f.Windows(); len(w) != 1 || w[0].Start != time.Minute || w[0].End != time.Minute {
		t.Errorf("Windows() = %v", w)
	}
}
