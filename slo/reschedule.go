package slo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/reports"
)

// Reschedule is one occurrence of a node fault as the control plane handled
// it: each phase is the time from the fault's start until the phase ended,
// in seconds, or Unknown with the reason it never did.
type Reschedule struct {
	// NodeNotReady ends when every target node's Ready condition is False
	// or Unknown (or the node is gone).
	NodeNotReady Value
	// TaintsApplied ends when every target node carries the
	// node.kubernetes.io/unreachable or node.kubernetes.io/not-ready
	// NoExecute taint (or is gone).
	TaintsApplied Value
	// PodsEvicted ends when every selected pod that ran on a target node at
	// the fault's start is marked for deletion or gone.
	PodsEvicted Value
	// PodsScheduled ends when the selected pods bound to other nodes, not
	// terminating, are at least as many as the selected pods before the
	// fault.
	PodsScheduled Value
	// Total ends when that many of them are also Ready.
	Total Value
}

// phase indexes Reschedule's fields in the order they normally end.
type phase int

const (
	phaseNotReady phase = iota
	phaseTainted
	phaseEvicted
	phaseScheduled
	phaseReady
	numPhases
)

// RescheduleProbe watches Nodes and the selected Pods and times the
// reschedule phases of each node fault it is told about. Create it with
// NewRescheduleProbe, Start it before the first fault and call FaultStarted
// when each fault is injected.
type RescheduleProbe struct {
	cs  kubernetes.Interface
	ns  string
	sel labels.Selector
	now func() time.Time // replaced in tests

	mu          sync.Mutex
	nodes       listersv1.NodeLister
	pods        listersv1.PodLister
	occurrences map[string][]*occurrence
	ready       *Recorder
	lastReady   int
	synced      bool // both caches filled; before that counts are wrong
}

// occurrence is one injected fault being timed.
type occurrence struct {
	start     time.Time
	targets   []string
	onTargets map[types.UID]bool // selected pods on the targets at the start
	want      int                // selected pods, not terminating, at the start
	at        [numPhases]time.Duration
	reached   [numPhases]bool
	pending   [numPhases]string // why a phase has not ended, as last seen
}

// NewRescheduleProbe returns a probe for the pods in namespace ns matching
// selector (labels.Everything() for all).
func NewRescheduleProbe(cs kubernetes.Interface, ns string, selector labels.Selector) *RescheduleProbe {
	return &RescheduleProbe{
		cs: cs, ns: ns, sel: selector, now: time.Now,
		occurrences: map[string][]*occurrence{},
		ready:       NewRecorder("ready pods ("+selector.String()+")", "pods"),
		lastReady:   -1,
	}
}

// Start starts watching and returns once the probe's caches hold the
// current Nodes and Pods. Watching stops when ctx is done.
func (p *RescheduleProbe) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.nodes != nil {
		p.mu.Unlock()
		return errors.New("reschedule probe already started")
	}
	nodeFactory := informers.NewSharedInformerFactory(p.cs, 0)
	podFactory := informers.NewSharedInformerFactoryWithOptions(p.cs, 0, informers.WithNamespace(p.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = p.sel.String() }))
	nodeInformer, podInformer := nodeFactory.Core().V1().Nodes(), podFactory.Core().V1().Pods()
	p.nodes, p.pods = nodeInformer.Lister(), podInformer.Lister()
	p.mu.Unlock()

	// Every change may end a phase; re-evaluating from the caches keeps the
	// logic independent of which object changed.
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.observe() },
		UpdateFunc: func(any, any) { p.observe() },
		DeleteFunc: func(any) { p.observe() },
	}
	if _, err := nodeInformer.Informer().AddEventHandler(h); err != nil {
		return fmt.Errorf("watch nodes: %w", err)
	}
	if _, err := podInformer.Informer().AddEventHandler(h); err != nil {
		return fmt.Errorf("watch pods in %s: %w", p.ns, err)
	}
	nodeFactory.Start(ctx.Done())
	podFactory.Start(ctx.Done())
	go func() {
		<-ctx.Done()
		nodeFactory.Shutdown()
		podFactory.Shutdown()
	}()
	for _, synced := range []map[reflect.Type]bool{nodeFactory.WaitForCacheSync(ctx.Done()), podFactory.WaitForCacheSync(ctx.Done())} {
		for typ, ok := range synced {
			if !ok {
				return fmt.Errorf("reschedule probe: %v cache did not sync: %w", typ, context.Cause(ctx))
			}
		}
	}
	p.mu.Lock()
	p.synced = true
	p.mu.Unlock()
	p.observe()
	return nil
}

// FaultStarted begins timing one occurrence of fault name, injected at
// start on the given nodes. It counts the selected pods from the probe's
// cache, so call it as the fault is injected, before the control plane can
// react. Call it again for each occurrence of a repeated fault.
func (p *RescheduleProbe) FaultStarted(name string, start time.Time, nodes []string) error {
	if len(nodes) == 0 {
		return fmt.Errorf("fault %s: no target nodes", name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return fmt.Errorf("fault %s: reschedule probe not started", name)
	}
	pods, err := p.selected()
	if err != nil {
		return fmt.Errorf("fault %s: %w", name, err)
	}
	o := &occurrence{start: start, targets: slices.Clone(nodes), onTargets: map[types.UID]bool{}}
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil || finished(pod) {
			continue
		}
		o.want++
		if slices.Contains(nodes, pod.Spec.NodeName) {
			o.onTargets[pod.UID] = true
		}
	}
	p.occurrences[name] = append(p.occurrences[name], o)
	p.evaluate(o, p.now())
	return nil
}

// FaultApplied moves the start of fault name's latest occurrence that
// began before t to t: the fault was asked for at its start but took effect
// only at t (a node applied it by itself), so reactions are timed from t.
// Phases already reached are kept, shortened by the shift (never below
// zero).
func (p *RescheduleProbe) FaultApplied(name string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	occ := p.occurrences[name]
	for i := len(occ) - 1; i >= 0; i-- {
		o := occ[i]
		if !o.start.Before(t) {
			continue
		}
		shift := t.Sub(o.start)
		o.start = t
		for ph := range numPhases {
			if o.reached[ph] {
				o.at[ph] = max(o.at[ph]-shift, 0)
			}
		}
		return
	}
}

// Results returns the phases of every occurrence of fault name, in the order
// they started; nil if the probe was never told about the fault. Phases
// that have not ended are Unknown, with what was still missing.
func (p *RescheduleProbe) Results(name string) []Reschedule {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var out []Reschedule
	for _, o := range p.occurrences[name] {
		var v [numPhases]Value
		for ph := range numPhases {
			switch {
			case o.reached[ph]:
				v[ph] = Seconds(o.at[ph])
			default:
				v[ph] = Unknown("not reached %s after the fault's start: %s", now.Sub(o.start).Round(time.Millisecond), o.pending[ph])
			}
		}
		out = append(out, Reschedule{NodeNotReady: v[phaseNotReady], TaintsApplied: v[phaseTainted],
			PodsEvicted: v[phaseEvicted], PodsScheduled: v[phaseScheduled], Total: v[phaseReady]})
	}
	return out
}

// Series returns the number of selected pods that were Ready and not
// terminating over time, one point per change.
func (p *RescheduleProbe) Series() reports.Series { return p.ready.Series() }

func (p *RescheduleProbe) observe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.synced {
		return
	}
	now := p.now()
	for _, occs := range p.occurrences {
		for _, o := range occs {
			p.evaluate(o, now)
		}
	}
	pods, err := p.selected()
	if err != nil {
		return
	}
	n := 0
	for _, pod := range pods {
		if pod.DeletionTimestamp == nil && podReady(pod) {
			n++
		}
	}
	if n != p.lastReady {
		p.ready.Add(now, float64(n))
		p.lastReady = n
	}
}

// evaluate records, at now, every phase of o whose end condition holds in
// the caches. Callers hold p.mu.
func (p *RescheduleProbe) evaluate(o *occurrence, now time.Time) {
	mark := func(ph phase, done bool, why string) {
		if o.reached[ph] {
			return
		}
		if done {
			o.reached[ph], o.at[ph] = true, max(now.Sub(o.start), 0)
			return
		}
		o.pending[ph] = why
	}
	var ready, untainted []string
	for _, name := range o.targets {
		n, err := p.nodes.Get(name)
		if apierrors.IsNotFound(err) {
			continue // a deleted node is as unready and evicted as it gets
		}
		if err != nil {
			continue
		}
		if clusters.NodeReady(n) {
			ready = append(ready, name)
		}
		if !evictionTainted(n) {
			untainted = append(untainted, name)
		}
	}
	mark(phaseNotReady, len(ready) == 0, "still Ready: "+strings.Join(ready, ", "))
	mark(phaseTainted, len(untainted) == 0, "no unreachable or not-ready NoExecute taint on "+strings.Join(untainted, ", "))

	if len(o.onTargets) == 0 {
		why := fmt.Sprintf("no pods matching %q in %s ran on %s at the fault's start, so nothing was rescheduled",
			p.sel.String(), p.ns, strings.Join(o.targets, ", "))
		for _, ph := range []phase{phaseEvicted, phaseScheduled, phaseReady} {
			o.pending[ph] = why
		}
		return
	}
	pods, err := p.selected()
	if err != nil {
		return
	}
	alive, bound, boundReady := 0, 0, 0
	for _, pod := range pods {
		terminating := pod.DeletionTimestamp != nil || finished(pod)
		if o.onTargets[pod.UID] && !terminating {
			alive++
		}
		if terminating || pod.Spec.NodeName == "" || slices.Contains(o.targets, pod.Spec.NodeName) {
			continue
		}
		bound++
		if podReady(pod) {
			boundReady++
		}
	}
	where := strings.Join(o.targets, ", ")
	mark(phaseEvicted, alive == 0, fmt.Sprintf("%d of the %d pods on %s not marked for deletion", alive, len(o.onTargets), where))
	mark(phaseScheduled, bound >= o.want, fmt.Sprintf("%d of %d pods bound outside %s", bound, o.want, where))
	mark(phaseReady, boundReady >= o.want, fmt.Sprintf("%d of %d pods Ready outside %s", boundReady, o.want, where))
}

// selected lists the probe's pods from the cache. The informer already
// filters by selector; matching again keeps fakes that ignore it honest.
func (p *RescheduleProbe) selected() ([]*corev1.Pod, error) {
	pods, err := p.pods.Pods(p.ns).List(p.sel)
	if err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", p.ns, err)
	}
	return pods, nil
}

func evictionTainted(n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute &&
			(t.Key == corev1.TaintNodeUnreachable || t.Key == corev1.TaintNodeNotReady) {
			return true
		}
	}
	return false
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// finished pods (Succeeded, Failed) no longer run and will not again.
func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
