package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// occurrence is one window of one fault on the timeline.
type occurrence struct {
	fault  scenarios.Fault
	index  int // 0-based occurrence number of a repeated fault
	window scenarios.Window
}

// Occurrence is one played fault window, as the run saw it.
type Occurrence struct {
	// Fault is the fault's name and Kind its kind.
	Fault string
	Kind  scenarios.FaultKind
	// Index is the occurrence number of a repeated fault, from 0.
	Index int
	// Targets are the resolved node or pod names.
	Targets []string
	// Start and End are when it was injected and healed; End equals Start
	// for instantaneous kinds.
	Start, End time.Time
	// Backend names what injected it: native, chaos-mesh or workload.
	Backend string
	// Evidence shows it was in force, checked after the injection.
	Evidence []string
	// MinReady is, for a rolling-update, the fewest pods of the rolled
	// fixture serving while it rolled.
	MinReady slo.Value
	// Err is why injecting or healing failed.
	Err error
}

// injected is what an injectFunc did.
type injected struct {
	targets  []string
	backend  string
	evidence []string
	minReady slo.Value
	heal     chaos.Recover
}

// schedule expands every fault into its windows, ordered by start.
func schedule(faults []scenarios.Fault) []occurrence {
	var out []occurrence
	for _, f := range faults {
		for i, w := range f.Windows() {
			out = append(out, occurrence{fault: f, index: i, window: w})
		}
	}
	slices.SortStableFunc(out, func(a, b occurrence) int { return int(a.window.Start - b.window.Start) })
	return out
}

// injectFunc resolves and injects one fault; it returns the targets for
// the timeline, who injected it, the evidence it is in force and how to
// heal. On error, what it returns besides is still recorded.
type injectFunc func(ctx context.Context, f scenarios.Fault) (injected, error)

// player plays a fault timeline from t0 and heals every injection it made,
// whatever happens: a failed injection, a cancelled context, a panic in a
// probe. Heal runs with its own context so that Ctrl-C (which cancels the
// run's context) still heals.
type player struct {
	t0     time.Time
	inject injectFunc
	log    func(format string, args ...any)
	// applied, when set, learns that the occurrence of fault began at t,
	// later than when it was asked for (a node applied it by itself).
	applied func(fault string, t time.Time)

	mu      sync.Mutex
	pending map[int]chaos.Recover // by occurrence number, not yet healed
	played  []Occurrence
}

// play runs every occurrence at its offset from t0, concurrently so that
// overlapping faults overlap, and returns when all are healed or ctx ends
// (then every pending injection is healed before it returns).
func (p *player) play(ctx context.Context, occ []occurrence) error {
	p.pending = map[int]chaos.Recover{}
	var wg sync.WaitGroup
	errs := make([]error, len(occ))
	// A panic in an injector ends the timeline at once: every fault
	// injected so far is healed below, and the run fails with the stack.
	pctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	for i, o := range occ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					errs[i] = newPanicError("fault "+o.fault.Name, v)
					abort(errs[i])
				}
			}()
			errs[i] = p.one(pctx, i, o)
		}()
	}
	wg.Wait()
	healErr := p.healAll()
	if err := ctx.Err(); err != nil {
		return errors.Join(append([]error{fmt.Errorf("fault timeline interrupted: %w", err)}, append(errs, healErr)...)...)
	}
	return errors.Join(append(errs, healErr)...)
}

func (p *player) one(ctx context.Context, id int, o occurrence) error {
	if !sleep.Until(ctx, p.t0.Add(o.window.Start)) {
		return nil
	}
	name := o.fault.Name
	if o.fault.Repeat != nil && o.fault.Repeat.Count > 1 {
		name = fmt.Sprintf("%s#%d", name, o.index+1)
	}
	rec := Occurrence{Fault: o.fault.Name, Kind: o.fault.Kind, Index: o.index, Start: time.Now()}
	in, err := p.inject(ctx, o.fault)
	targets, heal := in.targets, in.heal
	rec.Targets, rec.Backend, rec.Evidence, rec.MinReady = targets, in.backend, in.evidence, in.minReady
	if err != nil {
		rec.End, rec.Err = time.Now(), err
		p.record(rec)
		p.log("fault %s (%s) on %s: injection failed: %v", name, o.fault.Kind, targetList(targets), err)
		return fmt.Errorf("fault %s: %w", name, err)
	}
	if o.window.End == o.window.Start {
		// Over when Inject returns (a reboot once the node runs again, a
		// rollout once complete); Recover only closes its journal entry.
		rec.End = time.Now()
		if herr := heal(context.WithoutCancel(ctx)); herr != nil {
			rec.Err = fmt.Errorf("closing: %w", herr)
		}
		p.record(rec)
		p.log("fault %s (%s) on %s: done", name, o.fault.Kind, targetList(targets))
		return rec.Err
	}
	p.mu.Lock()
	p.pending[id] = heal
	p.mu.Unlock()
	p.log("fault %s (%s) on %s: injected for %s", name, o.fault.Kind, targetList(targets), o.window.End-o.window.Start)
	completed := sleep.Until(ctx, p.t0.Add(o.window.End))
	if !p.take(id) {
		return nil // healed by healAll after an interrupt
	}
	hctx, nodeTimes := chaos.WithNodeTimes(context.WithoutCancel(ctx))
	herr := heal(hctx)
	nt := nodeTimes()
	rec.End = healEnd(rec.Start, time.Now(), nt.Healed)
	if a := nt.Applied; a.After(rec.Start) && a.Before(rec.End) {
		rec.Start = a
		if p.applied != nil {
			p.applied(o.fault.Name, a)
		}
	}
	if herr != nil {
		rec.Err = fmt.Errorf("healing: %w", herr)
		p.record(rec)
		p.log("fault %s (%s): HEALING FAILED: %v (run `edgeproof recover`)", name, o.fault.Kind, herr)
		return fmt.Errorf("fault %s: healing: %w", name, herr)
	}
	p.record(rec)
	how := "healed"
	if !completed {
		how = "interrupted, healed"
	}
	p.log("fault %s (%s) on %s: %s after %s", name, o.fault.Kind, targetList(targets), how, rec.End.Sub(rec.Start).Round(100*time.Millisecond))
	return nil
}

// healEnd is when a fault ended: when its heal returned, unless the heal
// reported an earlier true end (a node's own timer healed it) within the
// fault's span.
func healEnd(start, returned, reported time.Time) time.Time {
	if reported.After(start) && reported.Before(returned) {
		return reported
	}
	return returned
}

// take removes a pending heal; false when someone else took it.
func (p *player) take(id int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.pending[id]
	delete(p.pending, id)
	return ok
}

// healAll heals whatever is still injected, with a fresh context.
func (p *player) healAll() error {
	p.mu.Lock()
	left := p.pending
	p.pending = map[int]chaos.Recover{}
	p.mu.Unlock()
	var errs []error
	for id, heal := range left {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		err := heal(ctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("healing interrupted fault %d: %w", id, err))
		}
		p.log("interrupted: fault healed (%v)", errOrOK(err))
	}
	return errors.Join(errs...)
}

func (p *player) record(o Occurrence) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.played = append(p.played, o)
}

// Played returns the occurrences in start order.
func (p *player) Played() []Occurrence {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.played)
	slices.SortStableFunc(out, func(a, b Occurrence) int { return a.Start.Compare(b.Start) })
	return out
}

// faultEvents converts played occurrences for the report.
func faultEvents(played []Occurrence) []reports.FaultEvent {
	var out []reports.FaultEvent
	for _, o := range played {
		ev := reports.FaultEvent{Name: o.Fault, Kind: string(o.Kind), Target: strings.Join(o.Targets, ","),
			Start: o.Start, End: o.End, Healed: o.Err == nil, Backend: o.Backend, Evidence: o.Evidence}
		if o.Err != nil {
			ev.Error = o.Err.Error()
		}
		out = append(out, ev)
	}
	return out
}

func targetList(t []string) string {
	if len(t) == 0 {
		return "the workload"
	}
	return strings.Join(t, ",")
}

func errOrOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// panicError is a recovered panic: where it happened, its value and the
// stack, so that the run's failure (and failures.txt) shows it.
type panicError struct {
	where string
	value any
	stack []byte
}

func newPanicError(where string, v any) *panicError {
	return &panicError{where: where, value: v, stack: debug.Stack()}
}

func (e *panicError) Error() string {
	return fmt.Sprintf("panic in %s: %v\n%s", e.where, e.value, e.stack)
}
