//go:build e2e

package chaosmesh_test

// Real-cluster test of the Chaos Mesh backend against Chaos Mesh's own
// CRDs, without Chaos Mesh running: it installs the podchaos, stresschaos
// and networkchaos CRDs from the chaos-mesh module's manifests/crd.yaml on
// the kind cluster named by $EDGEPROOF_CLUSTER, injects every fault kind
// the backend supports and checks that the API server stores the
// experiments Build made (the CRDs' OpenAPI schemas validate and prune
// them), that Recover deletes them and heals the journal, and that the
// schemas reject an invalid experiment. Only the API is used; nothing
// touches nodes.
//
//	EDGEPROOF_CLUSTER=edge go test -tags e2e -run TestChaosMesh -v -count=1 ./chaos/chaosmesh/
//
// The manifest comes from the Go module cache (`go mod download`), or from
// the file $EDGEPROOF_CHAOS_MESH_CRDS names. CRDs the test installs are
// deleted at the end; CRDs that were already there are left alone.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/chaosmesh"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/clustertest"
	"github.com/edgeproof/edgeproof/scenarios"
)

// chaosMeshModule holds manifests/crd.yaml. go.mod requires only the api
// module; the proxy serves no version of the main module at the api
// module's commit, so this is the nearest earlier one.
const chaosMeshModule = "github.com/chaos-mesh/chaos-mesh@v0.9.1-0.20260902003049-47411975a8cb"

// victimLabel is carried by the test's pods and selected by its pod faults.
const victimLabel = "edgeproof-victim"

var crdGVK = metav1.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

func newCRD() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(crdGVK.Group + "/" + crdGVK.Version)
	u.SetKind(crdGVK.Kind)
	return u
}

// crdManifest returns the path of Chaos Mesh's crd.yaml, skipping the test
// when it cannot be had.
func crdManifest(t *testing.T) string {
	if p := os.Getenv("EDGEPROOF_CHAOS_MESH_CRDS"); p != "" {
		return p
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to download %s for its CRD manifest: %v", chaosMeshModule, err)
	}
	cmd := exec.Command(gobin, "mod", "download", "-json", chaosMeshModule)
	// Outside the module, so that go.mod and go.sum are never touched; an
	// inherited -mod flag would be refused there.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m struct{ Dir, Error string }
	_ = json.Unmarshal(out, &m)
	if err != nil || m.Dir == "" {
		why := strings.TrimSpace(m.Error + " " + stderr.String())
		t.Skipf("cannot download %s for its CRD manifest (set EDGEPROOF_CHAOS_MESH_CRDS to a crd.yaml): %v %s", chaosMeshModule, err, why)
	}
	return filepath.Join(m.Dir, "manifests", "crd.yaml")
}

// loadCRDs reads the named CRDs from a multi-document manifest.
func loadCRDs(path string, names []string) (map[string]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening CRD manifest: %w", err)
	}
	defer f.Close()
	out := map[string]*unstructured.Unstructured{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		u := newCRD()
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("decoding a document of %s: %w", path, err)
		}
		if u.GetKind() == crdGVK.Kind && slices.Contains(names, u.GetName()) {
			out[u.GetName()] = u
		}
	}
	for _, n := range names {
		if out[n] == nil {
			return nil, fmt.Errorf("%s has no CRD %s", path, n)
		}
	}
	return out, nil
}

// installCRDs creates the CRDs of chaosmesh.Resources that are missing,
// deletes them again at cleanup, and waits until all are Established.
func installCRDs(t *testing.T, cl client.Client) {
	ctx := context.Background()
	var names []string
	for _, r := range chaosmesh.Resources {
		names = append(names, r+"."+v1alpha1.SchemeGroupVersion.Group)
	}
	crds, err := loadCRDs(crdManifest(t), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		err := cl.Get(ctx, client.ObjectKey{Name: n}, newCRD())
		if err == nil {
			t.Logf("CRD %s was already installed: using it and leaving it", n)
			continue
		}
		if !apierrors.IsNotFound(err) {
			t.Fatalf("getting CRD %s: %v", n, err)
		}
		if err := cl.Create(ctx, crds[n]); err != nil {
			t.Fatalf("creating CRD %s: %v", n, err)
		}
		t.Cleanup(func() { deleteCRD(t, cl, n) })
	}
	for _, n := range names {
		if err := poll(time.Minute, func() (bool, error) {
			u := newCRD()
			if err := cl.Get(ctx, client.ObjectKey{Name: n}, u); err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				if c, ok := c.(map[string]any); ok && c["type"] == "Established" {
					return c["status"] == "True", nil
				}
			}
			return false, nil
		}); err != nil {
			t.Fatalf("CRD %s not Established: %v", n, err)
		}
	}
}

// deleteCRD deletes a CRD and waits until it is gone, which is after the
// API server has deleted its custom resources.
func deleteCRD(t *testing.T, cl client.Client, name string) {
	ctx := context.Background()
	u := newCRD()
	u.SetName(name)
	if err := cl.Delete(ctx, u); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("deleting CRD %s: %v", name, err)
		return
	}
	if err := poll(2*time.Minute, func() (bool, error) {
		err := cl.Get(ctx, client.ObjectKey{Name: name}, newCRD())
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}); err != nil {
		t.Errorf("CRD %s not gone: %v", name, err)
	}
}

// poll calls cond every 500 ms until it is true or timeout passes.
func poll(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("condition not met")
			}
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// created is one object the backend created: the spec it sent and the
// object the API server returned, i.e. stored after schema pruning and
// defaulting.
type created struct {
	sent   map[string]any
	stored client.Object
}

// recordingClient records every object created through it.
type recordingClient struct {
	client.Client
	mu   sync.Mutex
	objs []created
}

// Create implements client.Client.
func (r *recordingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	sent, err := specOf(obj)
	if err != nil {
		return err
	}
	if err := r.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.objs = append(r.objs, created{sent: sent, stored: obj.DeepCopyObject().(client.Object)})
	return nil
}

// take returns the objects created since the last call.
func (r *recordingClient) take() []created {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.objs
	r.objs = nil
	return out
}

func specOf(obj client.Object) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", obj.GetName(), err)
	}
	var m struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", obj.GetName(), err)
	}
	return m.Spec, nil
}

// dropped lists the paths of values in sent that got lost or changed in
// stored. The API server silently prunes fields a CRD's schema does not
// know, so this is where the api module and the CRDs would disagree.
func dropped(path string, sent, stored any) []string {
	switch s := sent.(type) {
	case nil:
		return nil // null is dropped for fields that are not nullable
	case map[string]any:
		g, ok := stored.(map[string]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for k, v := range s {
			out = append(out, dropped(path+"."+k, v, g[k])...)
		}
		return out
	case []any:
		g, ok := stored.([]any)
		if !ok || len(g) != len(s) {
			return []string{path}
		}
		var out []string
		for i := range s {
			out = append(out, dropped(fmt.Sprintf("%s[%d]", path, i), s[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(sent, stored) {
		return []string{fmt.Sprintf("%s (sent %v, stored %v)", path, sent, stored)}
	}
	return nil
}

// experiment is what the test checks of a stored experiment.
type experiment struct {
	kind, action string
	selector     v1alpha1.PodSelector
	target       *v1alpha1.PodSelector // NetworkChaos only
}

func describeExperiment(t *testing.T, o client.Object) experiment {
	t.Helper()
	switch o := o.(type) {
	case *v1alpha1.PodChaos:
		return experiment{kind: v1alpha1.KindPodChaos, action: string(o.Spec.Action), selector: o.Spec.PodSelector}
	case *v1alpha1.StressChaos:
		return experiment{kind: v1alpha1.KindStressChaos, selector: o.Spec.PodSelector}
	case *v1alpha1.NetworkChaos:
		return experiment{kind: v1alpha1.KindNetworkChaos, action: string(o.Spec.Action), selector: o.Spec.PodSelector, target: o.Spec.Target}
	}
	t.Fatalf("unexpected experiment type %T", o)
	return experiment{}
}

// harness is the cluster, the backend under test and the test's
// namespace.
type harness struct {
	kube      kubernetes.Interface
	cl        client.Client
	rec       *recordingClient
	j         *journal.Journal
	b         *chaosmesh.Backend
	ns        string
	zone      string
	zoneNodes []string
	// controller is true when a Chaos Mesh controller runs after all, so
	// that Preflight rightly says yes.
	controller bool
}

func setup(t *testing.T) *harness {
	ctx := context.Background()
	c := clustertest.Get(ctx, t)
	name := c.Name
	kube, err := c.Client()
	if err != nil {
		t.Fatal(err)
	}
	crdClient, err := chaosmesh.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, crdClient)

	// Discovery can lag Established by a moment; Preflight caches what it
	// detects, so wait until the resources are served.
	var status chaosmesh.Status
	if err := poll(30*time.Second, func() (bool, error) {
		var err error
		status, err = chaosmesh.Detect(ctx, kube)
		return status.CRDs, err
	}); err != nil {
		t.Fatalf("Chaos Mesh resources not served: %v (missing %v)", err, status.Missing)
	}
	// A client made after the CRDs exist, so its REST mapper knows them.
	cl, err := chaosmesh.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{kube: kube, cl: cl, rec: &recordingClient{Client: cl}, controller: status.Controller}
	if h.controller {
		t.Logf("a Chaos Mesh controller runs on %s: its experiments will act on the test's pods", name)
	}

	h.j, err = journal.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever a failed step left, delete it before the CRDs (which
		// may have been there before the test and stay).
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if res, err := (&recovery.Env{Objects: cl}).RecoverAll(ctx, h.j); err != nil || len(res) > 0 {
			t.Logf("cleanup recovery: %v %v", res, err)
		}
		h.j.Close()
	})

	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: clusters.LabelTier + "=" + clusters.TierEdge})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if z := n.Labels[clusters.LabelZone]; z != "" && (h.zone == "" || z < h.zone) {
			h.zone = z
		}
	}
	if h.zone == "" {
		t.Fatal("no edge-tier node with a zone")
	}
	for _, n := range nodes.Items {
		if n.Labels[clusters.LabelZone] == h.zone {
			h.zoneNodes = append(h.zoneNodes, n.Name)
		}
	}
	slices.Sort(h.zoneNodes)

	// A fresh namespace per run: the previous run's may still be terminating.
	nsObj, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "edgeproof-chaosmesh-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.ns = nsObj.Name
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), h.ns, metav1.DeleteOptions{}) })
	for i := range 2 {
		if _, err := kube.CoreV1().Pods(h.ns).Create(ctx, victimPod(i), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	h.b = chaosmesh.New(h.rec, kube, h.j, nil, h.ns)
	// No controller runs here, so nothing would ever report an experiment
	// injected: creating it is all that can be checked.
	h.b.Wait = 0
	t.Logf("cluster %s, namespace %s, uplink zone %s (%v)", name, h.ns, h.zone, h.zoneNodes)
	return h
}

// victimPod is a pause pod on the cloud tier: the test does not need it
// running, and there it is out of the way of node faults that other chaos
// tests inject into edge nodes at the same time.
func victimPod(i int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("victim-%d", i), Labels: map[string]string{"app": victimLabel}},
		Spec: corev1.PodSpec{
			NodeSelector:                  map[string]string{clusters.LabelTier: clusters.TierCloud},
			Tolerations:                   []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers:                    []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10.1", ImagePullPolicy: corev1.PullNever}},
		},
	}
}

func (h *harness) victims(containers ...string) *scenarios.Target {
	return &scenarios.Target{Pods: &v1alpha1.ContainerSelector{
		PodSelector: v1alpha1.PodSelector{Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			LabelSelectors: map[string]string{"app": victimLabel},
		}}},
		ContainerNames: containers,
	}}
}

// faultCase is a fault and the experiments it must become.
type faultCase struct {
	f    scenarios.Fault
	want []experiment // kind and action only
}

func (h *harness) cases() []faultCase {
	load := int32(20)
	pod := func(kind scenarios.FaultKind, f scenarios.Fault) scenarios.Fault {
		f.Name, f.Kind = "e2e-"+string(kind), kind
		if f.Target == nil {
			f.Target = h.victims()
		}
		return f
	}
	uplink := func(kind scenarios.FaultKind, u *scenarios.UplinkParams) scenarios.Fault {
		return scenarios.Fault{Name: "e2e-" + string(kind), Kind: kind, Duration: scenarios.Duration(time.Minute), Target: &scenarios.Target{Zone: h.zone}, Uplink: u}
	}
	return []faultCase{
		{pod(scenarios.PodKill, scenarios.Fault{Pod: &scenarios.PodParams{GracePeriod: 1}}),
			[]experiment{{kind: v1alpha1.KindPodChaos, action: string(v1alpha1.PodKillAction)}}},
		{pod(scenarios.ContainerKill, scenarios.Fault{Target: h.victims("pause")}),
			[]experiment{{kind: v1alpha1.KindPodChaos, action: string(v1alpha1.ContainerKillAction)}}},
		{pod(scenarios.PodFailure, scenarios.Fault{Duration: scenarios.Duration(30 * time.Second)}),
			[]experiment{{kind: v1alpha1.KindPodChaos, action: string(v1alpha1.PodFailureAction)}}},
		{pod(scenarios.Stress, scenarios.Fault{Duration: scenarios.Duration(30 * time.Second), Stress: &scenarios.StressParams{
			CPU:    &scenarios.CPUStressor{Workers: 1, Load: &load},
			Memory: &scenarios.MemoryStressor{Workers: 1, Size: "16MB"},
		}}), []experiment{{kind: v1alpha1.KindStressChaos}}},
		{uplink(scenarios.UplinkShape, &scenarios.UplinkParams{
			Bandwidth: &scenarios.BandwidthSpec{Rate: "1mbit"},
			Loss:      &scenarios.LossSpec{Loss: 5, Correlation: 25},
			Delay:     &scenarios.DelaySpec{Latency: scenarios.Duration(100 * time.Millisecond), Jitter: scenarios.Duration(10 * time.Millisecond)},
		}), []experiment{
			{kind: v1alpha1.KindNetworkChaos, action: string(v1alpha1.NetemAction)},
			{kind: v1alpha1.KindNetworkChaos, action: string(v1alpha1.BandwidthAction)},
		}},
		{uplink(scenarios.UplinkFlap, nil),
			[]experiment{{kind: v1alpha1.KindNetworkChaos, action: string(v1alpha1.PartitionAction)}}},
	}
}

// checkSelector checks that an experiment's selectors are the ones Build
// must make of the fault's target.
func (h *harness) checkSelector(t *testing.T, f scenarios.Fault, e experiment) {
	t.Helper()
	sel := e.selector.Selector
	if e.selector.Mode != v1alpha1.AllMode || !slices.Equal(sel.Namespaces, []string{h.ns}) {
		t.Errorf("%s: mode %q, namespaces %v; want all in %s", e.kind, e.selector.Mode, sel.Namespaces, h.ns)
	}
	if f.Target.Pods != nil {
		if !reflect.DeepEqual(sel.LabelSelectors, map[string]string{"app": victimLabel}) {
			t.Errorf("%s: label selectors %v", e.kind, sel.LabelSelectors)
		}
		// The stored selector, read with Chaos Mesh's semantics, picks the
		// test's pods.
		r := &chaos.Resolver{Kube: h.kube, Namespace: h.ns}
		pods, err := r.Pods(context.Background(), &v1alpha1.ContainerSelector{PodSelector: e.selector})
		if err != nil || len(pods) != 2 {
			t.Errorf("%s: selector picks %d pods (%v), want the 2 victims", e.kind, len(pods), err)
		}
		return
	}
	want := map[string]string{scenarios.FixtureLabel: string(scenarios.FixtureGateway)}
	if !reflect.DeepEqual(sel.LabelSelectors, want) || !slices.Equal(sel.Nodes, h.zoneNodes) {
		t.Errorf("%s %s: selects %v on nodes %v; want %v on %v", e.kind, e.action, sel.LabelSelectors, sel.Nodes, want, h.zoneNodes)
	}
	if e.action == string(v1alpha1.BandwidthAction) {
		if e.target != nil {
			t.Errorf("bandwidth has a target: %+v", e.target)
		}
		return
	}
	if e.target == nil || !reflect.DeepEqual(e.target.Selector.NodeSelectors, map[string]string{clusters.LabelTier: clusters.TierCloud}) {
		t.Errorf("%s %s: target %+v, want the cloud tier", e.kind, e.action, e.target)
	}
}

// gone waits until the objects are deleted.
func (h *harness) gone(t *testing.T, objs []created) {
	t.Helper()
	for _, o := range objs {
		obj := o.stored.DeepCopyObject().(client.Object)
		if err := poll(10*time.Second, func() (bool, error) {
			err := h.cl.Get(context.Background(), client.ObjectKeyFromObject(o.stored), obj)
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		}); err != nil {
			t.Errorf("%s %s still there: %v", o.stored.GetObjectKind().GroupVersionKind().Kind, o.stored.GetName(), err)
		}
	}
}

// healed checks that the journal entry of an injection is healed and
// recorded the deletion of every experiment.
func (h *harness) healed(t *testing.T, id string, objs []created) {
	t.Helper()
	entries, healed, err := h.j.All()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.ID != id {
			continue
		}
		if !healed[i] {
			t.Errorf("journal entry %s not healed", e)
		}
		if e.Backend != chaosmesh.Name || len(e.Recovery) != len(objs) {
			t.Errorf("journal entry %s: backend %s, %d recovery actions for %d experiments", e, e.Backend, len(e.Recovery), len(objs))
		}
		for k, a := range e.Recovery {
			if a.Op != journal.OpDeleteCR || a.Name != objs[k].stored.GetName() || a.Namespace != h.ns {
				t.Errorf("recovery action %s, want delete-cr of %s/%s", a, h.ns, objs[k].stored.GetName())
			}
		}
		return
	}
	t.Errorf("no journal entry %s", id)
}

func (h *harness) inject(t *testing.T, c faultCase) {
	ctx := context.Background()
	f := c.f
	ok, reason, err := h.b.Preflight(ctx, f)
	switch {
	case err != nil:
		t.Errorf("preflight could not check: %v", err)
	case h.controller:
		t.Logf("preflight with a Chaos Mesh controller running: %v %s", ok, reason)
	case ok || !strings.Contains(reason, "chaos-controller-manager") || strings.Contains(reason, "CRD"):
		t.Errorf("preflight with CRDs but no controller: %v %q; want a refusal naming the missing controller only", ok, reason)
	}

	rec, err := h.b.Inject(ctx, f)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	objs := h.rec.take()
	if len(objs) != len(c.want) {
		t.Fatalf("%d experiments created, want %d", len(objs), len(c.want))
	}
	for i, o := range objs {
		e := describeExperiment(t, o.stored)
		if e.kind != c.want[i].kind || e.action != c.want[i].action {
			t.Errorf("experiment %s is %s %q, want %s %q", o.stored.GetName(), e.kind, e.action, c.want[i].kind, c.want[i].action)
		}
		h.checkSelector(t, f, e)
		stored, err := specOf(o.stored)
		if err != nil {
			t.Fatal(err)
		}
		if d := dropped("spec", o.sent, stored); len(d) > 0 {
			t.Errorf("%s %s: the API server dropped or changed %v", e.kind, o.stored.GetName(), d)
		}
		t.Logf("%s %s %q accepted", e.kind, o.stored.GetName(), e.action)
	}
	id := objs[0].stored.GetLabels()[chaosmesh.LabelJournalID]

	if f.Kind.Instant() {
		// Instantaneous faults are over once created: Inject deletes them.
		h.gone(t, objs)
		h.healed(t, id, objs)
		return
	}
	for _, o := range objs {
		if err := h.cl.Get(ctx, client.ObjectKeyFromObject(o.stored), o.stored.DeepCopyObject().(client.Object)); err != nil {
			t.Errorf("experiment %s not in the API after Inject: %v", o.stored.GetName(), err)
		}
	}
	if p, _ := h.j.Pending(); len(p) != 1 || p[0].ID != id {
		t.Errorf("pending %v, want %s", p, id)
	}
	if err := rec(ctx); err != nil {
		t.Fatalf("recover: %v", err)
	}
	h.gone(t, objs)
	h.healed(t, id, objs)
}

// supportedKinds lists the fault kinds Build accepts with a pod or a zone
// target, so that the test notices a kind added to the backend.
func supportedKinds(ns string) []scenarios.FaultKind {
	load := int32(1)
	var out []scenarios.FaultKind
	for _, k := range scenarios.AllFaultKinds() {
		for _, target := range []*scenarios.Target{
			{Pods: &v1alpha1.ContainerSelector{}},
			{Zone: "z"},
		} {
			f := scenarios.Fault{Name: "probe", Kind: k, Target: target,
				Stress: &scenarios.StressParams{CPU: &scenarios.CPUStressor{Workers: 1, Load: &load}},
				Uplink: &scenarios.UplinkParams{Loss: &scenarios.LossSpec{Loss: 1}}}
			if _, err := chaosmesh.Build(f, chaosmesh.BuildOptions{Name: "probe", Namespace: ns}); err == nil {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func TestChaosMesh(t *testing.T) {
	start := time.Now()
	h := setup(t)
	ctx := context.Background()
	cases := h.cases()

	t.Run("covers-every-kind", func(t *testing.T) {
		var tested []scenarios.FaultKind
		for _, c := range cases {
			tested = append(tested, c.f.Kind)
		}
		got := supportedKinds(h.ns)
		slices.Sort(got)
		slices.Sort(tested)
		if !slices.Equal(got, tested) {
			t.Errorf("Build supports %v, the test covers %v", got, tested)
		}
	})

	for _, c := range cases {
		t.Run(string(c.f.Kind), func(t *testing.T) { h.inject(t, c) })
	}

	t.Run("schema-rejects-invalid", func(t *testing.T) {
		nc := &v1alpha1.NetworkChaos{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: v1alpha1.KindNetworkChaos},
			ObjectMeta: metav1.ObjectMeta{Name: "edgeproof-e2e-invalid", Namespace: h.ns, Labels: map[string]string{chaosmesh.LabelManagedBy: chaosmesh.ManagedBy}},
			Spec: v1alpha1.NetworkChaosSpec{
				PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{h.ns}}}},
				Action:      v1alpha1.PartitionAction,
				Direction:   v1alpha1.To,
			},
		}
		// Dry runs: validated in full, stored never, even if accepted.
		// The valid twin passes, so the rejection is the action's.
		if err := h.cl.Create(ctx, nc.DeepCopy(), client.DryRunAll); err != nil {
			t.Fatalf("valid NetworkChaos rejected: %v", err)
		}
		// The API server prunes fields the schema does not know instead of
		// refusing them; dropped, which the injections rely on, sees that.
		u := &unstructured.Unstructured{}
		if err := h.cl.Scheme().Convert(nc, u, nil); err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(u.Object, "x", "spec", "unknownField"); err != nil {
			t.Fatal(err)
		}
		sent := u.DeepCopy().Object["spec"]
		if err := h.cl.Create(ctx, u, client.DryRunAll); err != nil {
			t.Fatalf("NetworkChaos with an unknown field: %v", err)
		}
		if d := dropped("spec", sent, u.Object["spec"]); len(d) != 1 || !strings.HasPrefix(d[0], "spec.unknownField ") {
			t.Errorf("pruning of an unknown field: dropped reports %v", d)
		}

		bad := map[string]func(*v1alpha1.NetworkChaos){
			"spec.action":    func(n *v1alpha1.NetworkChaos) { n.Spec.Action = "explode" },
			"spec.mode":      func(n *v1alpha1.NetworkChaos) { n.Spec.Mode = "most" },
			"spec.direction": func(n *v1alpha1.NetworkChaos) { n.Spec.Direction = "sideways" },
		}
		for field, mutate := range bad {
			n := nc.DeepCopy()
			mutate(n)
			err := h.cl.Create(ctx, n, client.DryRunAll)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), field) {
				t.Errorf("NetworkChaos with an invalid %s: got %v, want Invalid naming the field", field, err)
				continue
			}
			t.Logf("rejected: %v", err)
		}
	})

	t.Run("preflight", func(t *testing.T) {
		if h.controller {
			t.Skip("a Chaos Mesh controller runs on this cluster")
		}
		// A backend of its own: detection is cached per backend.
		b := chaosmesh.New(h.cl, h.kube, h.j, nil, h.ns)
		f := scenarios.Fault{Name: "e2e-preflight", Kind: scenarios.PodKill, Target: h.victims()}
		ok, reason, err := b.Preflight(ctx, f)
		if ok || err != nil || !strings.Contains(reason, "chaos-controller-manager") || strings.Contains(reason, "CRD") {
			t.Fatalf("preflight: %v %q; want a refusal naming the missing controller only", ok, reason)
		}
		t.Logf("preflight refuses: %s", reason)
	})

	t.Run("leftovers", func(t *testing.T) {
		left, err := chaosmesh.Leftovers(ctx, h.cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Fatalf("left behind:\n%s", strings.Join(left, "\n"))
		}
		if p, err := h.j.Pending(); err != nil || len(p) > 0 {
			t.Fatalf("journal pending %v (%v)", p, err)
		}
	})
	t.Logf("checks took %s; CRDs are deleted next", time.Since(start).Round(100*time.Millisecond))
}
