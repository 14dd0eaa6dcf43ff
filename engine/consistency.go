package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/internal/sleep"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// consistencySettle bounds how long the consistency check after a heal
// waits for leftovers to go: a pod the rejoined kubelet is still deleting,
// or an endpoint the EndpointSlice controller is about to drop, is not a
// finding unless it outlives this.
const consistencySettle = 30 * time.Second

// healChecks runs the consistency check after every healed occurrence of a
// lasting fault, from its heal until the namespace is consistent or
// consistencySettle has passed: duplicate pods and stale endpoints are
// judged where the fault left them, not after the drain, when they may
// have gone.
type healChecks struct {
	w   *workload.Workload
	say func(string, ...any)

	wg      sync.WaitGroup
	mu      sync.Mutex
	started map[string]int                 // injections per fault so far
	byFault map[string]map[int]checkResult // by fault and occurrence
}

type checkResult struct {
	c   slo.Consistency
	err error
}

// occurrence numbers the injections of fault in the order they start, as
// the timeline numbers its occurrences.
func (h *healChecks) occurrence(fault string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started == nil {
		h.started = map[string]int{}
	}
	i := h.started[fault]
	h.started[fault]++
	return i
}

// after starts the check of occurrence i of fault, healed just now.
func (h *healChecks) after(ctx context.Context, fault string, i int) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		c, err := consistency(ctx, h.w, h.say)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.byFault == nil {
			h.byFault = map[string]map[int]checkResult{}
		}
		if h.byFault[fault] == nil {
			h.byFault[fault] = map[int]checkResult{}
		}
		h.byFault[fault][i] = checkResult{c, err}
	}()
}

// result waits for every check and returns occurrence i of fault's; false
// when it was not checked (not healed, or not a lasting fault).
func (h *healChecks) result(fault string, i int) (checkResult, bool) {
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.byFault[fault][i]
	return r, ok
}

// needsConsistency reports whether any objective reads the end-of-run
// consistency counts.
func needsConsistency(objs []scenarios.Objective) bool {
	for _, o := range objs {
		if o.Metric == scenarios.MetricDuplicatePods || o.Metric == scenarios.MetricStaleEndpoints {
			return true
		}
	}
	return false
}

// consistency snapshots the workload namespace until it shows no duplicate
// pods and no stale endpoints, or consistencySettle passes, and returns the
// last check.
func consistency(ctx context.Context, w *workload.Workload, say func(string, ...any)) (slo.Consistency, error) {
	deadline := time.Now().Add(consistencySettle)
	for {
		s, err := snapshot(ctx, w)
		if err != nil {
			return slo.Consistency{}, err
		}
		c := slo.CheckConsistency(s)
		if c.DuplicatePods+c.StaleEndpoints == 0 || time.Now().After(deadline) {
			if len(c.Findings) > 0 {
				say("consistency after %s: %s", consistencySettle, strings.Join(c.Findings, "; "))
			}
			return c, nil
		}
		if !sleep.Until(ctx, time.Now().Add(2*time.Second)) {
			return c, ctx.Err()
		}
	}
}

// snapshot lists what CheckConsistency needs.
func snapshot(ctx context.Context, w *workload.Workload) (slo.State, error) {
	cs, ns := w.Client(), w.Spec.Namespace
	var s slo.State
	all := metav1.ListOptions{}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing pods of %s: %w", ns, err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing nodes: %w", err)
	}
	rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing replica sets of %s: %w", ns, err)
	}
	deps, err := cs.AppsV1().Deployments(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing deployments of %s: %w", ns, err)
	}
	sts, err := cs.AppsV1().StatefulSets(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing stateful sets of %s: %w", ns, err)
	}
	dss, err := cs.AppsV1().DaemonSets(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing daemon sets of %s: %w", ns, err)
	}
	sls, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, all)
	if err != nil {
		return s, fmt.Errorf("listing endpoint slices of %s: %w", ns, err)
	}
	s.Pods, s.Nodes, s.ReplicaSets = pods.Items, nodes.Items, rss.Items
	s.Deployments, s.StatefulSets, s.DaemonSets, s.Slices = deps.Items, sts.Items, dss.Items, sls.Items
	return s, nil
}

// values are an occurrence's duplicate-pod and stale-endpoint counts, or
// Unknown with the reason.
func (h *healChecks) values(o Occurrence) (dup, stale slo.Value) {
	r, ok := h.result(o.Fault, o.Index)
	switch {
	case !ok:
		v := slo.Unknown("not checked: occurrence %d of %s was not healed as a lasting fault", o.Index+1, o.Fault)
		return v, v
	case r.err != nil:
		v := slo.Unknown("consistency check after the heal failed: %v", r.err)
		return v, v
	}
	return slo.Count(r.c.DuplicatePods), slo.Count(r.c.StaleEndpoints)
}

// checkAfter wraps a heal so that check starts once it succeeded.
func checkAfter(heal chaos.Recover, check func()) chaos.Recover {
	if heal == nil {
		return nil
	}
	return func(ctx context.Context) error {
		if err := heal(ctx); err != nil {
			return err
		}
		check()
		return nil
	}
}
