package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/scenarios"
)

func fault(name string, kind scenarios.FaultKind, at, dur time.Duration) scenarios.Fault {
	return scenarios.Fault{Name: name, Kind: kind, At: scenarios.Duration(at), Duration: scenarios.Duration(dur)}
}

// counting returns an injector whose heals count, and the counters.
func counting(fail string) (injectFunc, *atomic.Int32, *atomic.Int32) {
	var injectedN, healed atomic.Int32
	return func(ctx context.Context, f scenarios.Fault) (injected, error) {
		if f.Name == fail {
			return injected{targets: []string{"n1"}}, errors.New("boom")
		}
		if f.Name == "panic" {
			panic("injector bug")
		}
		injectedN.Add(1)
		return injected{targets: []string{"n1"}, backend: "test", evidence: []string{"seen"},
			heal: func(context.Context) error { healed.Add(1); return nil }}, nil
	}, &injectedN, &healed
}

// TestPlayerPanicFails: a panic in an injector fails the play with its
// stack, and what the other faults injected is still healed.
func TestPlayerPanicFails(t *testing.T) {
	inj, injectedN, healed := counting("")
	occ := schedule([]scenarios.Fault{
		fault("cut", scenarios.NodeIsolate, 0, time.Hour),
		fault("panic", scenarios.NodeIsolate, 10*time.Millisecond, time.Second),
	})
	p := &player{t0: time.Now(), inject: inj, log: t.Logf}
	err := p.play(context.Background(), occ) // the hour-long cut ends with the panic
	var pe *panicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "injector bug") || !strings.Contains(err.Error(), "timeline_test.go") {
		t.Fatalf("err = %v, want the panic with its stack", err)
	}
	if injectedN.Load() != 1 || healed.Load() != 1 {
		t.Errorf("injected %d, healed %d; want the surviving fault healed", injectedN.Load(), healed.Load())
	}
	if ev := faultEvents(p.Played()); len(ev) != 1 || ev[0].Backend != "test" || len(ev[0].Evidence) != 1 {
		t.Errorf("fault events %+v, want the backend and evidence recorded", ev)
	}
}

func TestPlayerHealsEveryWindow(t *testing.T) {
	inj, injected, healed := counting("")
	rep := fault("flap", scenarios.UplinkFlap, 0, 20*time.Millisecond)
	rep.Repeat = &scenarios.Repeat{Count: 3, Period: scenarios.Duration(40 * time.Millisecond)}
	occ := schedule([]scenarios.Fault{
		fault("cut", scenarios.NodeIsolate, 10*time.Millisecond, 50*time.Millisecond),
		rep,
		fault("kill", scenarios.PodKill, 5*time.Millisecond, 0),
	})
	if len(occ) != 5 || occ[0].fault.Name != "flap" || occ[1].fault.Name != "kill" {
		t.Fatalf("schedule order: %+v", occ)
	}
	p := &player{t0: time.Now(), inject: inj, log: t.Logf}
	if err := p.play(context.Background(), occ); err != nil {
		t.Fatal(err)
	}
	if injected.Load() != 5 || healed.Load() != 5 {
		t.Errorf("injected %d, healed %d; want 5, 5", injected.Load(), healed.Load())
	}
	played := p.Played()
	if len(played) != 5 {
		t.Fatalf("played %d", len(played))
	}
	for _, o := range played {
		// An instant fault ends when its injection returns.
		if o.Kind == scenarios.PodKill && (o.End.Before(o.Start) || o.End.Sub(o.Start) > time.Second) {
			t.Errorf("instant fault does not end when injected: %+v", o)
		}
		if o.Kind == scenarios.NodeIsolate && o.End.Sub(o.Start) < 40*time.Millisecond {
			t.Errorf("isolate healed too early: %s", o.End.Sub(o.Start))
		}
	}
}

func TestPlayerHealsOnInterrupt(t *testing.T) {
	inj, injected, healed := counting("")
	occ := schedule([]scenarios.Fault{
		fault("long", scenarios.NodePowerLoss, 0, time.Hour),
		fault("later", scenarios.NodeStop, time.Hour, time.Minute),
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	p := &player{t0: time.Now(), inject: inj, log: t.Logf}
	err := p.play(ctx, occ)
	if err == nil {
		t.Fatal("an interrupted timeline must say so")
	}
	if injected.Load() != 1 || healed.Load() != 1 {
		t.Errorf("injected %d, healed %d; want 1, 1 (the later fault never starts)", injected.Load(), healed.Load())
	}
}

func TestPlayerReportsFailedInjection(t *testing.T) {
	inj, _, healed := counting("bad")
	occ := schedule([]scenarios.Fault{fault("bad", scenarios.NodeStop, 0, time.Second), fault("ok", scenarios.NodeStop, 0, 10*time.Millisecond)})
	p := &player{t0: time.Now(), inject: inj, log: t.Logf}
	if err := p.play(context.Background(), occ); err == nil {
		t.Fatal("a failed injection must fail the timeline")
	}
	if healed.Load() != 1 {
		t.Errorf("the good fault must still be healed")
	}
	var failed int
	for _, ev := range faultEvents(p.Played()) {
		if !ev.Healed {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("want the failed injection reported as not healed, got %d", failed)
	}
}

// A heal that reports when the fault truly began and ended (a node's own
// timers applied and healed it) sets the fault's span, so reactions and
// recovery are measured from then and not from when edgeproof asked or
// heard of it; the reschedule probes learn the later start.
func TestPlayerTimesAFaultByWhatItsNodesReport(t *testing.T) {
	var applied, ended time.Time
	inject := func(ctx context.Context, f scenarios.Fault) (injected, error) {
		applied = time.Now().Add(5 * time.Millisecond) // the node's timer
		return injected{heal: func(ctx context.Context) error {
			ended = time.Now()
			time.Sleep(50 * time.Millisecond) // the node answers later
			chaos.ReportNodeTimes(ctx, chaos.NodeTimes{Applied: applied, Healed: ended})
			return nil
		}}, nil
	}
	var told []time.Time
	p := &player{t0: time.Now(), inject: inject, log: t.Logf, applied: func(fault string, at time.Time) { told = append(told, at) }}
	if err := p.play(context.Background(), schedule([]scenarios.Fault{fault("cut", scenarios.KubeletStop, 0, 20*time.Millisecond)})); err != nil {
		t.Fatal(err)
	}
	got := p.Played()[0]
	if !got.End.Equal(ended) || !got.Start.Equal(applied) {
		t.Errorf("fault spans %v..%v, want the reported %v..%v", got.Start, got.End, applied, ended)
	}
	if len(told) != 1 || !told[0].Equal(applied) {
		t.Errorf("probes told %v, want %v", told, applied)
	}
}

func TestHealEndKeepsReportsWithinTheFault(t *testing.T) {
	start := time.Now()
	returned := start.Add(10 * time.Second)
	for _, c := range []struct {
		reported, want time.Time
	}{
		{time.Time{}, returned},
		{start.Add(8 * time.Second), start.Add(8 * time.Second)},
		{start.Add(-time.Second), returned},   // before the fault began
		{returned.Add(time.Second), returned}, // later than the heal itself
	} {
		if got := healEnd(start, returned, c.reported); !got.Equal(c.want) {
			t.Errorf("healEnd(%v) = %v, want %v", c.reported.Sub(start), got.Sub(start), c.want.Sub(start))
		}
	}
}
