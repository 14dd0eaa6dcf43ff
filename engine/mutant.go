package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/fixtures/mutants"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/reports"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// CheckMutant resolves a mutant name for scenario sc: an unknown name, or
// a scenario that cannot exercise or judge the defect, is an error. Call
// it before any cluster work; Run calls it again.
func CheckMutant(name string, sc *scenarios.Scenario) (mutants.Mutant, error) {
	m, err := mutants.Lookup(name)
	if err != nil {
		return m, err
	}
	return m, m.Check(sc)
}

// mutateScenario applies a deployment defect that lives in the scenario
// (rollout parameters) to a copy of sc.
func mutateScenario(sc *scenarios.Scenario, m mutants.Mutant) *scenarios.Scenario {
	if m.Name != mutants.RolloutAllAtOnce {
		return sc
	}
	c := *sc
	c.Spec.Faults = append([]scenarios.Fault(nil), sc.Spec.Faults...)
	for i, f := range c.Spec.Faults {
		if f.Kind != scenarios.RollingUpdate || f.Rollout == nil {
			continue
		}
		r := *f.Rollout
		all, none := int32(1000), int32(0) // capped at the replica count
		r.MaxUnavailable, r.MaxSurge = &all, &none
		c.Spec.Faults[i].Rollout = &r
	}
	return &c
}

// mutateSpec applies a deployment defect that lives in the workload spec
// and names the mutant in it (the fixtures read it; mutant images need it).
func mutateSpec(s *workload.Spec, m mutants.Mutant) {
	s.Mutant = m.Name
	switch m.Name {
	case mutants.UpstreamTolerations:
		s.LostNodeToleration = 300 * time.Second
	case mutants.HPACannotScale:
		if s.HPA != nil {
			h := *s.HPA
			h.MaxReplicas = max(h.MinReplicas, 1)
			s.HPA = &h
		}
	}
}

// noopBackend is the injector-noop defect: it journals each fault as the
// backend it stands in for would, with the recovery steps of a node that
// was stopped, reports success and changes nothing. Proof must then find
// the fault not in force.
type noopBackend struct {
	chaos.Backend
	j *journal.Journal
}

// Inject implements chaos.Injector without touching the cluster.
func (b noopBackend) Inject(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	nodes, err := chaos.NodeNames(f)
	if err != nil {
		return nil, fmt.Errorf("injector-noop: %w", err)
	}
	var actions []journal.Action
	for _, n := range nodes {
		actions = append(actions, journal.Action{Op: journal.OpStartNode, Node: n})
	}
	id, err := b.j.Begin(journal.Entry{Fault: f.Name, Kind: string(f.Kind), Backend: b.Name(), Targets: nodes, Recovery: actions})
	if err != nil {
		return nil, err
	}
	return func(context.Context) error { return b.j.Healed(id) }, nil
}

// judgeMutant records on a finished mutant run what was planted and
// whether it was caught: the run failed, on an expected objective when
// the mutant names any. The scenario's state then says whether the
// mutation suite passed (caught) or not.
func judgeMutant(res *Result, m mutants.Mutant, say func(string, ...any)) {
	var failed []string
	for _, v := range res.Scenario.Verdicts {
		// A verdict that failed because its value was not measured is
		// not the defect showing, unless the mutant says it is.
		if !v.Pass && (m.UnknownCatches || !strings.HasPrefix(v.Detail, slo.NotMeasured)) {
			failed = append(failed, v.Objective)
		}
	}
	runFailed := res.Scenario.State == reports.StateFailed
	caught := m.Caught(runFailed, res.Scenario.Failure, failed)
	res.Scenario.Mutant = &reports.MutantRun{Name: m.Name, Defect: m.Defect, Expect: m.Expect, Caught: caught}
	word := "MUTANT"
	if m.Where == mutants.InWorkload {
		word = "DECLARED DEFECT" // the scenario's own spec.defect
	} else {
		res.Scenario.Name += " [mutant " + m.Name + "]"
	}
	switch {
	case caught:
		res.Scenario.State = reports.StatePassed
		say("%s %s CAUGHT: %s", word, m.Name, firstLine(res.Scenario.Failure))
	case res.Scenario.State == reports.StateSkipped:
		// A mutant that did not run proves nothing.
		res.Scenario.State = reports.StateFailed
		res.Scenario.Failure = "mutant " + m.Name + " not run: " + res.Scenario.SkipReason
		say("MUTANT %s NOT RUN: %s", m.Name, res.Scenario.SkipReason)
	default:
		res.Scenario.State = reports.StateFailed
		if runFailed {
			res.Scenario.Failure = fmt.Sprintf("mutant %s failed the run, but not on %v: %s", m.Name, m.Expect, res.Scenario.Failure)
		} else {
			res.Scenario.Failure = "mutant " + m.Name + " NOT CAUGHT: the scenario passed with the defect planted"
		}
		say("%s", res.Scenario.Failure)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// sayDiscarded logs what mutant gateways threw away by their own count, to
// set beside the lost the run measures.
func sayDiscarded(ctx context.Context, w *workload.Workload, say func(string, ...any)) {
	if !w.Spec.Gateway {
		return
	}
	gws, err := w.Gateways(ctx)
	var total uint64
	for _, g := range gws {
		total += g.MutantDiscarded
	}
	if err != nil {
		say("mutant gateways discarded %d messages by their own count (not every gateway answered: %v)", total, err)
		return
	}
	say("mutant gateways discarded %d messages by their own count", total)
}
