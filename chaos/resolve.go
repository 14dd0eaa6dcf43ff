package chaos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Resolver turns scenario targets into node and pod names through the
// Kubernetes API, with Chaos Mesh's selector and mode semantics.
type Resolver struct {
	// Kube is the cluster's API.
	Kube kubernetes.Interface
	// Namespace is where pod selectors that name no namespace look, as
	// Chaos Mesh looks in the experiment's own namespace.
	Namespace string
	// Rand picks among matches for modes one, fixed, fixed-percent and
	// random-max-percent; nil means a time-seeded source. Give a seeded
	// one for reproducible runs.
	Rand *rand.Rand
	// Eligible, when set, says why a node may not be faulted (nil when it
	// may): a zone or nodeSelector target then picks among the eligible
	// nodes only, and one with none is an error. Named nodes and a
	// zone-partition's whole zone are not narrowed; the backend refuses
	// them instead. Cluster.GuardNode is the usual value.
	Eligible func(*corev1.Node) error

	mu sync.Mutex
}

// ErrNoMatch is wrapped by errors for targets that match nothing.
var ErrNoMatch = errors.New("target matches nothing")

// ErrNotEligible is wrapped by errors for targets whose nodes all exist
// but none may be faulted (see Resolver.Eligible): a refusal, not a skip.
var ErrNotEligible = errors.New("no node the target matches may be faulted")

// Resolve returns a copy of f whose target names concrete things: Nodes
// for node targets (zone and nodeSelector with their mode applied), and
// for pod targets a selector listing namespace/pod names with mode all
// and the original containerNames. Resolving a resolved fault is a no-op
// apart from checking that its nodes and pods still exist.
func (r *Resolver) Resolve(ctx context.Context, f scenarios.Fault) (scenarios.Fault, error) {
	t := f.Target
	if t == nil {
		return f, nil
	}
	if t.Pods != nil {
		pods, err := r.Pods(ctx, t.Pods)
		if err != nil {
			return f, fmt.Errorf("fault %s: %w", f.Name, err)
		}
		f.Target = &scenarios.Target{Pods: PodTarget(pods, t.Pods.ContainerNames)}
		return f, nil
	}
	nodes, err := r.Nodes(ctx, f.Kind, t)
	if err != nil {
		return f, fmt.Errorf("fault %s: %w", f.Name, err)
	}
	f.Target = &scenarios.Target{Nodes: nodes, AllowControlPlane: t.AllowControlPlane}
	return f, nil
}

// PodTarget is a pod selector naming exactly pods, with mode all.
func PodTarget(pods []corev1.Pod, containers []string) *v1alpha1.ContainerSelector {
	byNS := map[string][]string{}
	for _, p := range pods {
		byNS[p.Namespace] = append(byNS[p.Namespace], p.Name)
	}
	return &v1alpha1.ContainerSelector{
		PodSelector: v1alpha1.PodSelector{
			Selector: v1alpha1.PodSelectorSpec{Pods: byNS},
			Mode:     v1alpha1.AllMode,
		},
		ContainerNames: slices.Clone(containers),
	}
}

// Nodes returns the sorted names of the nodes t selects. Named nodes must
// exist; a zone or nodeSelector is narrowed by the target's mode, except
// for zone-partition, which always takes the whole zone.
func (r *Resolver) Nodes(ctx context.Context, kind scenarios.FaultKind, t *scenarios.Target) ([]string, error) {
	return r.nodes(ctx, kind, t, true)
}

// Matching returns every node t matches, ignoring its mode and
// Eligible: what a fault could hit on the cluster, before the owner's
// choice of nodes narrows it.
func (r *Resolver) Matching(ctx context.Context, kind scenarios.FaultKind, t *scenarios.Target) ([]string, error) {
	all := *t
	all.Mode, all.Value = "", ""
	return r.nodes(ctx, kind, &all, false)
}

func (r *Resolver) nodes(ctx context.Context, kind scenarios.FaultKind, t *scenarios.Target, eligibleOnly bool) ([]string, error) {
	if len(t.Nodes) > 0 {
		for _, n := range t.Nodes {
			if _, err := r.Kube.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{}); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, fmt.Errorf("node %q not found: %w", n, ErrNoMatch)
				}
				return nil, fmt.Errorf("getting node %s: %w", n, err)
			}
		}
		return slices.Sorted(slices.Values(t.Nodes)), nil
	}
	var sel labels.Selector
	var what string
	switch {
	case t.Zone != "":
		sel = labels.SelectorFromSet(labels.Set{clusters.LabelZone: t.Zone})
		what = "zone " + t.Zone
	case len(t.NodeSelector) > 0:
		sel = labels.SelectorFromSet(t.NodeSelector)
		what = "nodeSelector " + sel.String()
	default:
		return nil, errors.New("target names no nodes, zone, nodeSelector or pods")
	}
	list, err := r.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing nodes of %s: %w", what, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no nodes: %w", what, ErrNoMatch)
	}
	if kind == scenarios.ZonePartition {
		return names, nil
	}
	if eligibleOnly {
		if names, err = r.eligible(list.Items, what, t.AllowControlPlane); err != nil {
			return nil, err
		}
	}
	picked, err := r.pick(names, t.Mode, t.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	slices.Sort(picked)
	return picked, nil
}

// ineligible is an error that is ErrNotEligible without saying so twice.
type ineligible struct{ err error }

func (e ineligible) Error() string        { return e.err.Error() }
func (e ineligible) Unwrap() error        { return e.err }
func (e ineligible) Is(target error) bool { return target == ErrNotEligible }

// eligible narrows nodes to those Eligible allows, sorted by name;
// allowControlPlane lifts the control-plane refusal.
func (r *Resolver) eligible(nodes []corev1.Node, what string, allowControlPlane bool) ([]string, error) {
	var names []string
	var why error
	for i := range nodes {
		if r.Eligible != nil {
			if err := clusters.Refusal(r.Eligible(&nodes[i]), allowControlPlane); err != nil {
				why = cmp.Or(why, err)
				continue
			}
		}
		names = append(names, nodes[i].Name)
	}
	if len(names) == 0 {
		return nil, ineligible{fmt.Errorf("%s: none of its %d nodes may be faulted (%w)", what, len(nodes), why)}
	}
	slices.Sort(names)
	return names, nil
}

// Pods returns the pods a Chaos Mesh selector picks: listed by namespace
// and labels (or named in selector.pods), filtered by annotations, nodes,
// node labels and phase, then narrowed by mode. Terminating pods are never
// picked.
func (r *Resolver) Pods(ctx context.Context, cs *v1alpha1.ContainerSelector) ([]corev1.Pod, error) {
	s := cs.Selector
	var cands []corev1.Pod
	if len(s.Pods) > 0 {
		for _, ns := range slices.Sorted(maps.Keys(s.Pods)) {
			for _, name := range s.Pods[ns] {
				p, err := r.Kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("getting pod %s/%s: %w", ns, name, err)
				}
				cands = append(cands, *p)
			}
		}
	} else {
		namespaces := s.Namespaces
		if len(namespaces) == 0 {
			if r.Namespace == "" {
				return nil, errors.New("pod selector names no namespace and the resolver has no default namespace")
			}
			namespaces = []string{r.Namespace}
		}
		opts, err := listOptions(s)
		if err != nil {
			return nil, err
		}
		for _, ns := range namespaces {
			list, err := r.Kube.CoreV1().Pods(ns).List(ctx, opts)
			if err != nil {
				return nil, fmt.Errorf("listing pods in %s: %w", ns, err)
			}
			cands = append(cands, list.Items...)
		}
	}
	onNodes, err := r.nodeFilter(ctx, s)
	if err != nil {
		return nil, err
	}
	var pods []corev1.Pod
	for _, p := range cands {
		if p.DeletionTimestamp != nil || !matchAll(p.Annotations, s.AnnotationSelectors) {
			continue
		}
		if onNodes != nil && !onNodes[p.Spec.NodeName] {
			continue
		}
		if len(s.PodPhaseSelectors) > 0 && !slices.Contains(s.PodPhaseSelectors, string(p.Status.Phase)) {
			continue
		}
		pods = append(pods, p)
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("pod selector: no pods: %w", ErrNoMatch)
	}
	key := func(p corev1.Pod) string { return p.Namespace + "/" + p.Name }
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		if key(a) < key(b) {
			return -1
		}
		if key(a) > key(b) {
			return 1
		}
		return 0
	})
	byKey := map[string]corev1.Pod{}
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i] = key(p)
		byKey[keys[i]] = p
	}
	picked, err := r.pick(keys, cs.Mode, cs.Value)
	if err != nil {
		return nil, fmt.Errorf("pod selector: %w", err)
	}
	slices.Sort(picked)
	out := make([]corev1.Pod, len(picked))
	for i, k := range picked {
		out[i] = byKey[k]
	}
	return out, nil
}

// listOptions turns label, expression and field selectors into a query.
func listOptions(s v1alpha1.PodSelectorSpec) (metav1.ListOptions, error) {
	var opts metav1.ListOptions
	ls := &metav1.LabelSelector{MatchLabels: s.LabelSelectors, MatchExpressions: s.ExpressionSelectors}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return opts, fmt.Errorf("pod selector: %w", err)
	}
	if !sel.Empty() {
		opts.LabelSelector = sel.String()
	}
	if len(s.FieldSelectors) > 0 {
		opts.FieldSelector = fields.SelectorFromSet(s.FieldSelectors).String()
	}
	return opts, nil
}

// nodeFilter is the set of nodes pods must run on, or nil for any.
func (r *Resolver) nodeFilter(ctx context.Context, s v1alpha1.PodSelectorSpec) (map[string]bool, error) {
	if len(s.Nodes) == 0 && len(s.NodeSelectors) == 0 {
		return nil, nil
	}
	var set map[string]bool
	if len(s.Nodes) > 0 {
		set = map[string]bool{}
		for _, n := range s.Nodes {
			set[n] = true
		}
	}
	if len(s.NodeSelectors) > 0 {
		sel := labels.SelectorFromSet(s.NodeSelectors).String()
		list, err := r.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return nil, fmt.Errorf("listing nodes %s: %w", sel, err)
		}
		labelled := map[string]bool{}
		for _, n := range list.Items {
			if set == nil || set[n.Name] {
				labelled[n.Name] = true
			}
		}
		set = labelled
	}
	return set, nil
}

func matchAll(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// pick narrows sorted names by a Chaos Mesh mode. fixed-percent rounds
// down, as Chaos Mesh does; random-max-percent picks from 1 to the
// maximum, never none. A mode that would pick nothing is an error rather
// than a fault that silently hits nothing.
func (r *Resolver) pick(names []string, mode v1alpha1.SelectorMode, value string) ([]string, error) {
	n := len(names)
	count := n
	switch mode {
	case "", v1alpha1.AllMode:
		return slices.Clone(names), nil
	case v1alpha1.OneMode:
		count = 1
	case v1alpha1.FixedMode:
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("mode fixed: invalid value %q", value)
		}
		count = min(v, n)
	case v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode:
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 || v > 100 {
			return nil, fmt.Errorf("mode %s: invalid value %q", mode, value)
		}
		count = n * v / 100
		if count == 0 {
			return nil, fmt.Errorf("mode %s %s%% of %d matches selects none: %w", mode, value, n, ErrNoMatch)
		}
		if mode == v1alpha1.RandomMaxPercentMode {
			count = 1 + r.intN(count)
		}
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	perm := r.perm(n)
	out := make([]string, count)
	for i := range count {
		out[i] = names[perm[i]]
	}
	return out, nil
}

func (r *Resolver) rng() *rand.Rand {
	if r.Rand == nil {
		now := uint64(time.Now().UnixNano())
		r.Rand = rand.New(rand.NewPCG(now, now>>32))
	}
	return r.Rand
}

func (r *Resolver) intN(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng().IntN(n)
}

func (r *Resolver) perm(n int) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng().Perm(n)
}

// NodeNames returns the node names of a resolved node target.
func NodeNames(f scenarios.Fault) ([]string, error) {
	t := f.Target
	if t == nil || len(t.Nodes) == 0 || t.Zone != "" || len(t.NodeSelector) > 0 || t.Pods != nil {
		return nil, fmt.Errorf("fault %s: target is not resolved to node names", f.Name)
	}
	return t.Nodes, nil
}

// PodNames returns the pods of a resolved pod target, sorted.
func PodNames(f scenarios.Fault) ([]types.NamespacedName, error) {
	t := f.Target
	if t == nil || t.Pods == nil || len(t.Pods.Selector.Pods) == 0 {
		return nil, fmt.Errorf("fault %s: target is not resolved to pod names", f.Name)
	}
	var out []types.NamespacedName
	for _, ns := range slices.Sorted(maps.Keys(t.Pods.Selector.Pods)) {
		for _, n := range slices.Sorted(slices.Values(t.Pods.Selector.Pods[ns])) {
			out = append(out, types.NamespacedName{Namespace: ns, Name: n})
		}
	}
	return out, nil
}
