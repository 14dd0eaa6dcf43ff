package engine

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/edgeproof/edgeproof/apps"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/clusters/existing"
	"github.com/edgeproof/edgeproof/fixtures/workload"
	"github.com/edgeproof/edgeproof/scenarios"
	"github.com/edgeproof/edgeproof/slo"
)

// prepareApp renders the user's application, checks it against what the
// cluster serves and loads its images onto the nodes, all before anything
// is created: a source that does not render, a kind the cluster lacks or a
// missing image fails the run with nothing deployed.
func (r *run) prepareApp() ([]*unstructured.Unstructured, error) {
	srcs := apps.FromScenario(r.sc)
	if len(srcs) == 0 {
		return nil, nil
	}
	fail := func(err error) error { return fmt.Errorf("%s: %w", r.sc.Source(), err) }
	start := time.Now()
	prepared, err := renderApp(r.ctx, r.sc, r.o.Cluster, r.ns)
	if err != nil {
		return nil, err
	}
	if err := checkRolledObjects(r.sc, prepared); err != nil {
		return nil, fail(err)
	}
	r.say("application: %d objects rendered from %d sources in %s", len(prepared), len(srcs), time.Since(start).Round(time.Millisecond))
	imgs := loadedByUs(r.o.Cluster, apps.ImagesFromScenario(r.sc), r.say)
	if len(imgs) == 0 {
		return prepared, nil
	}
	archs, err := r.o.Cluster.Archs(r.ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "edgeproof-app-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	start = time.Now()
	if err := apps.LoadImages(r.ctx, imgs, archs, tmp, r.o.Cluster.LoadImageArchives, r.say); err != nil {
		return nil, fail(err)
	}
	r.say("application: %d image(s) loaded onto every node in %s", len(imgs), time.Since(start).Round(100*time.Millisecond))
	return prepared, nil
}

// renderApp renders the scenario's application for namespace ns and
// checks each object against what cluster c serves (read-only: API
// discovery); errors name the scenario file.
func renderApp(ctx context.Context, sc *scenarios.Scenario, c *clusters.Cluster, ns string) ([]*unstructured.Unstructured, error) {
	cs, err := c.Client()
	if err != nil {
		return nil, err
	}
	ver, err := cs.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("cluster version: %w", err)
	}
	objs, err := apps.Render(ctx, apps.FromScenario(sc), apps.RenderOptions{Namespace: ns, KubeVersion: ver.GitVersion})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Source(), err)
	}
	kc, err := c.Klient()
	if err != nil {
		return nil, err
	}
	prepared, err := apps.Prepare(kc.Resources().GetControllerRuntimeClient().RESTMapper(), objs, ns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Source(), err)
	}
	return prepared, nil
}

// leftToNodes reports whether an application image is the nodes' to get
// rather than edgeproof's to load: on a cluster edgeproof did not create,
// an image named without an archive is a registry's business (or already
// imported), as it is in production; the readiness gate reports one the
// nodes cannot get.
func leftToNodes(c *clusters.Cluster, im apps.Image) bool {
	return !im.FromArchive() && c.Kind() == existing.Kind
}

// loadedByUs keeps the images edgeproof loads onto the nodes, saying which
// it leaves to them.
func loadedByUs(c *clusters.Cluster, imgs []apps.Image, say func(string, ...any)) []apps.Image {
	var out []apps.Image
	for _, im := range imgs {
		if leftToNodes(c, im) {
			say("application: image %s is left to the nodes to pull (existing cluster, no archive given)", im.Name)
			continue
		}
		out = append(out, im)
	}
	return out
}

// checkRolledObjects asks that every object a rolling-update names is one
// of the application's controllers, with a pod selector to watch.
func checkRolledObjects(sc *scenarios.Scenario, objs []*unstructured.Unstructured) error {
	app := workload.Spec{App: objs}
	for i, f := range sc.Spec.Faults {
		if f.Rollout == nil || f.Rollout.Object == nil {
			continue
		}
		if _, err := app.AppSelector(f.Rollout.Object.Kind, f.Rollout.Object.Name); err != nil {
			return fmt.Errorf("spec.faults[%d].rollout.object: %w", i, err)
		}
	}
	return nil
}

// readProbes takes the probes' counters when the run ends, before the
// drain: what happens after the run is not the scenario's.
func (r *run) readProbes() {
	if len(r.sc.Spec.Probes) == 0 {
		return
	}
	var names []string
	for _, p := range r.sc.Spec.Probes {
		names = append(names, p.Name)
	}
	stats, err := r.w.ProbeStats(r.ctx)
	var counts []slo.ProbeCounts
	for _, s := range stats {
		counts = append(counts, slo.ProbeCounts{Name: s.Name, Attempts: s.Attempts, Successes: s.Successes,
			LongestOutage: time.Duration(s.LongestOutageMs) * time.Millisecond})
	}
	r.probed = slo.ProbeAvailability(names, counts, err)
	for _, n := range names {
		a := r.probed[n]
		r.say("probe %s: success ratio %s, longest outage %s", n, a.SuccessRatio, a.LongestOutage)
	}
}
