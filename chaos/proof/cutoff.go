package proof

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/sleep"
)

// A fault that cuts its nodes off from the API server (journal.CutOff)
// cannot be checked on the nodes: nothing reaches them. What the API
// server sees of a node is checked instead: its kubelet no longer renews
// the node's lease (a stopped kubelet, a network cut), or the node reports
// itself not Ready (a stopped runtime). Both are what the rest of the
// cluster reacts to, so they are the effect the fault is for.

// CutOffTimeout bounds the wait for a cut-off fault's effect to show: a
// stopped runtime turns a node NotReady after the kubelet's 30 s grace.
var CutOffTimeout = 60 * time.Second

// cutOffPoll is how often the nodes' leases and conditions are read.
var cutOffPoll = 500 * time.Millisecond

// leaseSlack is how much later than its renewal interval a lease must
// still be unrenewed to count as missed.
var leaseSlack = 2 * time.Second

// leaseNamespace holds the kubelets' node leases.
const leaseNamespace = "kube-node-lease"

// sinceMargin absorbs the second granularity of condition times and a
// small clock difference between the nodes and this host.
const sinceMargin = time.Second

// A node whose power a switch outside it cut (journal.OpPowerOn) is
// checked the same way: nothing on it answers, and what the switch reports
// is the switch's own word.

// FromAPI reports whether entry e is shown in force from the API
// (Unreachable) rather than on its nodes (InForce).
func FromAPI(e journal.Entry) bool {
	if e.CutOff != nil {
		return true
	}
	for _, a := range e.Recovery {
		if a.Op != journal.OpPowerOn {
			return false
		}
	}
	return len(e.Recovery) > 0
}

// Unreachable waits until every target node of e shows the fault from the
// API, and returns one line of evidence per node. It fails with
// ErrNotInForce when a node still renews its lease and reports Ready by
// CutOffTimeout after the fault was applied (or by a cut-off's planned
// end).
func Unreachable(ctx context.Context, kube kubernetes.Interface, e journal.Entry) ([]string, error) {
	applied, deadline := e.Started, e.Started.Add(CutOffTimeout)
	if c := e.CutOff; c != nil {
		applied, deadline = c.Applies, c.Applies.Add(CutOffTimeout)
		if c.Heals.Before(deadline) {
			deadline = c.Heals
		}
	}
	watch := make([]*leaseWatch, len(e.Targets))
	for i, n := range e.Targets {
		watch[i] = &leaseWatch{node: n}
	}
	if !sleep.Until(ctx, applied) {
		return nil, ctx.Err()
	}
	for {
		done := true
		for _, w := range watch {
			if w.evidence != "" {
				continue
			}
			if err := w.observe(ctx, kube, applied); err != nil {
				return nil, fmt.Errorf("%s (%s): checking from the API that it cut node %s off: %w", e.Fault, e.Kind, w.node, err)
			}
			done = done && w.evidence != ""
		}
		if done {
			out := make([]string, len(watch))
			for i, w := range watch {
				out[i] = w.evidence
			}
			return out, nil
		}
		if time.Now().After(deadline) {
			var left []string
			for _, w := range watch {
				if w.evidence == "" {
					left = append(left, w.node)
				}
			}
			return nil, fmt.Errorf("%s (%s) %s: node %s still renewed its lease and reported Ready %s after the fault was applied: %w",
				e.Fault, e.Kind, NotInForce, strings.Join(left, ", "), time.Since(applied).Round(time.Second), ErrNotInForce)
		}
		if !sleep.Until(ctx, time.Now().Add(cutOffPoll)) {
			return nil, ctx.Err()
		}
	}
}

// leaseWatch follows one node's lease renewals, by this host's clock.
type leaseWatch struct {
	node     string
	renew    time.Time // the renewTime last read
	since    time.Time // when that renewTime was first read
	evidence string
}

// observe reads the node's lease and Ready condition once, and sets the
// evidence when either shows the node cut off since applied.
func (w *leaseWatch) observe(ctx context.Context, kube kubernetes.Interface, applied time.Time) error {
	node, err := kube.CoreV1().Nodes().Get(ctx, w.node, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if r := clusters.ReadyCondition(node); r != nil && r.Status != corev1.ConditionTrue && !r.LastTransitionTime.Time.Before(applied.Add(-sinceMargin)) {
		w.evidence = fmt.Sprintf("node %s: Ready %s since %s (%s: %s)", w.node, r.Status, r.LastTransitionTime.Local().Format(time.TimeOnly), r.Reason, r.Message)
		return nil
	}
	lease, err := kube.CoordinationV1().Leases(leaseNamespace).Get(ctx, w.node, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
		return fmt.Errorf("node lease %s has no renew time or duration", w.node)
	}
	now := time.Now()
	if renew := lease.Spec.RenewTime.Time; !renew.Equal(w.renew) {
		w.renew, w.since = renew, now
		return nil
	}
	// A kubelet renews every quarter of the lease's duration; one renewal
	// missed by the slack more is a kubelet that no longer reaches the API.
	every := time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second / 4
	if stale := now.Sub(w.since); stale >= every+leaseSlack {
		w.evidence = fmt.Sprintf("node %s: lease not renewed for %s (its kubelet renews every %s)", w.node, stale.Round(100*time.Millisecond), every)
	}
	return nil
}
