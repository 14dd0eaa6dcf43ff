package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// consistencySettle bounds how long the end-of-run consistency check waits
// for leftovers to go: a pod the rejoined kubelet is still deleting, or an
// endpoint the EndpointSlice controller is about to drop, is not a finding
// unless it outlives this.
const consistencySettle = 30 * time.Second

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
		if !sleepUntil(ctx, time.Now().Add(2*time.Second)) {
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
