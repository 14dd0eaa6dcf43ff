package chaosmesh

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// DefaultWait is how long Inject waits for Chaos Mesh to report an
// experiment injected.
const DefaultWait = time.Minute

// HealTimeout bounds an undo that runs after the caller's context is
// cancelled.
var HealTimeout = 2 * time.Minute

// Scheme returns a scheme with the core Kubernetes types and Chaos Mesh's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}

// NewClient returns a controller-runtime client for a cluster that knows
// the Chaos Mesh types.
func NewClient(c *clusters.Cluster) (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %s: %w", c.Kubeconfig, err)
	}
	cl, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", c.Name, err)
	}
	return cl, nil
}

// Backend injects faults as Chaos Mesh experiments.
type Backend struct {
	// Client creates and deletes experiments; see NewClient.
	Client client.Client
	// Kube is used to detect Chaos Mesh for Preflight (may be nil: then
	// Status must be set).
	Kube kubernetes.Interface
	// Journal records every experiment before it is created.
	Journal *journal.Journal
	// Resolver turns node targets of uplink faults into node names.
	Resolver *chaos.Resolver
	// Namespace holds the experiments and is the default namespace of
	// pod selectors.
	Namespace string
	// Wait is how long Inject waits for the experiment's AllInjected
	// condition; 0 does not wait. Instantaneous faults are deleted as
	// soon as they are injected, so without waiting they might never run.
	Wait time.Duration
	// Poll is the status polling period; 1 s if zero.
	Poll time.Duration
	// Status, when set, is used instead of detecting Chaos Mesh.
	Status *Status

	recovery *recovery.Env
	detectMu sync.Mutex
	detected *Status
}

var _ chaos.Backend = (*Backend)(nil)

// New returns a Chaos Mesh backend creating experiments in namespace.
func New(cl client.Client, kube kubernetes.Interface, j *journal.Journal, r *chaos.Resolver, namespace string) *Backend {
	if r == nil {
		r = &chaos.Resolver{Kube: kube, Namespace: namespace}
	}
	return &Backend{
		Client:    cl,
		Kube:      kube,
		Journal:   j,
		Resolver:  r,
		Namespace: namespace,
		Wait:      DefaultWait,
		recovery:  &recovery.Env{Objects: cl},
	}
}

// Name implements chaos.Backend.
func (b *Backend) Name() string { return Name }

// Inject implements chaos.Injector: it journals the experiments, creates
// them and waits until Chaos Mesh reports them injected. Recover deletes
// them, which makes Chaos Mesh undo the fault.
func (b *Backend) Inject(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	if chaos.WorkloadKind(f) {
		return nil, &chaos.WorkloadFaultError{Kind: f.Kind}
	}
	if reason, ok := supported(f); !ok {
		return nil, &chaos.UnsupportedError{Kind: f.Kind, Backend: Name, Reason: reason}
	}
	var targets []string
	if t := f.Target; t != nil && t.Pods == nil && b.Resolver != nil {
		r, err := b.Resolver.Resolve(ctx, f)
		if err != nil {
			return nil, err
		}
		f, targets = r, r.Target.Nodes
	}
	id := b.Journal.NewID()
	objs, err := Build(f, BuildOptions{Name: ExperimentName(f.Name, id), Namespace: b.Namespace, JournalID: id})
	if err != nil {
		return nil, err
	}
	actions := make([]journal.Action, len(objs))
	for i, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		actions[i] = journal.Action{Op: journal.OpDeleteCR, APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}
		if targets == nil {
			targets = append(targets, o.GetNamespace()+"/"+o.GetName())
		}
	}
	e := journal.Entry{ID: id, Fault: f.Name, Kind: string(f.Kind), Backend: Name, Targets: targets, Recovery: actions}
	if _, err := b.Journal.Begin(e); err != nil {
		return nil, err
	}
	heal := func(ctx context.Context) error {
		if err := b.recovery.Recover(ctx, e); err != nil {
			return err
		}
		return b.Journal.Healed(id)
	}
	err = b.create(ctx, objs)
	if err != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), HealTimeout)
		defer cancel()
		if herr := heal(hctx); herr != nil {
			return nil, fmt.Errorf("injecting %s %q: %w (and undoing it failed: %v; run edgeproof recover)", f.Kind, f.Name, err, herr)
		}
		return nil, fmt.Errorf("injecting %s %q: %w", f.Kind, f.Name, err)
	}
	if f.Kind.Instant() {
		if err := heal(ctx); err != nil {
			return nil, fmt.Errorf("deleting finished experiment of %q: %w", f.Name, err)
		}
		return chaos.Nop, nil
	}
	return heal, nil
}

func (b *Backend) create(ctx context.Context, objs []client.Object) error {
	for _, o := range objs {
		if err := b.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s %s/%s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
		}
	}
	if b.Wait <= 0 {
		return nil
	}
	for _, o := range objs {
		if err := b.waitInjected(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// statusObject is what every Chaos Mesh experiment type implements.
type statusObject interface {
	client.Object
	GetStatus() *v1alpha1.ChaosStatus
}

// waitInjected polls an experiment until its AllInjected condition is
// true.
func (b *Backend) waitInjected(ctx context.Context, o client.Object) error {
	poll := b.Poll
	if poll <= 0 {
		poll = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, b.Wait)
	defer cancel()
	obj, ok := o.DeepCopyObject().(statusObject)
	if !ok {
		return fmt.Errorf("%T is not a Chaos Mesh experiment", o)
	}
	for {
		err := b.Client.Get(ctx, client.ObjectKeyFromObject(o), obj)
		if err == nil && Injected(obj.GetStatus()) {
			return nil
		}
		select {
		case <-ctx.Done():
			why := "no status yet (is chaos-controller-manager running?)"
			if err != nil {
				why = err.Error()
			} else if s := describe(obj.GetStatus()); s != "" {
				why = s
			}
			return fmt.Errorf("%s %s/%s not injected within %s: %s", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), b.Wait, why)
		case <-time.After(poll):
		}
	}
}

// Injected reports whether Chaos Mesh says an experiment hit every target.
func Injected(s *v1alpha1.ChaosStatus) bool {
	for _, c := range s.Conditions {
		if c.Type == v1alpha1.ConditionAllInjected {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// describe summarises an experiment's conditions and failed records.
func describe(s *v1alpha1.ChaosStatus) string {
	var parts []string
	for _, c := range s.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s", c.Type, c.Status))
	}
	for _, r := range s.Experiment.Records {
		for _, ev := range r.Events {
			if ev.Type == v1alpha1.TypeFailed && ev.Message != "" {
				parts = append(parts, r.Id+": "+ev.Message)
			}
		}
	}
	return strings.Join(parts, ", ")
}

// ExperimentName names the experiments of one injection: edgeproof-,
// the fault's name (shortened), and the random part of the journal id,
// which keeps repeated occurrences apart. At most 49 characters.
func ExperimentName(fault, id string) string {
	if len(fault) > 30 {
		fault = strings.TrimRight(fault[:30], "-")
	}
	suffix := id
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		suffix = id[i+1:]
	}
	return "edgeproof-" + fault + "-" + suffix
}

// Leftovers lists edgeproof's experiments still in the cluster; none when
// Chaos Mesh is not installed.
func Leftovers(ctx context.Context, cl client.Client) ([]string, error) {
	var out []string
	lists := []client.ObjectList{&v1alpha1.PodChaosList{}, &v1alpha1.StressChaosList{}, &v1alpha1.NetworkChaosList{}}
	for _, l := range lists {
		err := cl.List(ctx, l, client.MatchingLabels{LabelManagedBy: ManagedBy})
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("listing %T: %w", l, err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return out, err
		}
		for _, it := range items {
			o := it.(client.Object)
			out = append(out, fmt.Sprintf("Chaos Mesh %T %s/%s left (fault %s)", it, o.GetNamespace(), o.GetName(), o.GetLabels()[LabelFault]))
		}
	}
	return out, nil
}

// InForce shows the experiment of a delete-cr recovery step in force: it
// exists and Chaos Mesh reports it injected into every target.
func (b *Backend) InForce(ctx context.Context, a journal.Action) (string, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(a.APIVersion)
	u.SetKind(a.Kind)
	if err := b.Client.Get(ctx, client.ObjectKey{Namespace: a.Namespace, Name: a.Name}, u); err != nil {
		return "", fmt.Errorf("reading %s %s/%s: %w", a.Kind, a.Namespace, a.Name, err)
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == string(v1alpha1.ConditionAllInjected) && m["status"] == string(corev1.ConditionTrue) {
			return fmt.Sprintf("%s %s/%s: AllInjected", a.Kind, a.Namespace, a.Name), nil
		}
	}
	return "", fmt.Errorf("%s %s/%s exists but Chaos Mesh does not report it injected (is chaos-controller-manager running?)", a.Kind, a.Namespace, a.Name)
}
