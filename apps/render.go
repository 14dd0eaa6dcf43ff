// Package apps renders the user's own application (plain manifests,
// kustomizations and Helm charts) into Kubernetes objects for one run
// namespace, checks them against what the cluster serves, and loads the
// application's container images onto the nodes.
//
// Rendering happens on the client, before anything is created, so a
// source that does not render fails the run before the cluster is touched;
// the objects are then created, waited for and deleted with the rest of the
// run's workload (fixtures/workload), whole or not at all.
package apps

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/edgeproof/edgeproof/scenarios"
)

// Object is one rendered object and where it came from.
type Object struct {
	// Object is the object as rendered, before the namespace is set.
	*unstructured.Unstructured
	// Source names where it came from: the scenario field, and the file
	// and line, or the chart template, it was rendered from.
	Source string
}

// Ref names the object for messages: Kind/name from its source.
func (o Object) Ref() string {
	return fmt.Sprintf("%s/%s (%s)", o.GetKind(), o.GetName(), o.Source)
}

// Source is one source of the application: exactly one of Manifest,
// Kustomize and Chart is set. Paths are absolute or relative to the
// working directory (scenarios.Scenario.Resolve turns the scenario's into
// these).
type Source struct {
	// Field is the scenario field the source comes from, for messages,
	// e.g. spec.workload.helm[0].
	Field string
	// Manifest is a manifest file or a folder of them.
	Manifest string
	// Kustomize is a folder holding a kustomization.
	Kustomize string
	// Chart is a Helm chart.
	Chart *Chart
}

// Chart is a Helm chart to render.
type Chart struct {
	// Path is the chart folder or packaged chart.
	Path string
	// Release is the release name; empty means the chart's name.
	Release string
	// Values are values files merged in order.
	Values []string
	// Set are --set style overrides.
	Set []string
}

// FromScenario lists the application sources of a loaded scenario, with
// paths resolved from the scenario file.
func FromScenario(sc *scenarios.Scenario) []Source {
	w := sc.Spec.Workload
	var out []Source
	for i, m := range w.Manifests {
		out = append(out, Source{Field: fmt.Sprintf("spec.workload.manifests[%d]", i), Manifest: sc.Resolve(m)})
	}
	for i, k := range w.Kustomize {
		out = append(out, Source{Field: fmt.Sprintf("spec.workload.kustomize[%d]", i), Kustomize: sc.Resolve(k)})
	}
	for i, c := range w.Helm {
		ch := &Chart{Path: sc.Resolve(c.Chart), Release: c.Release, Set: c.Set}
		for _, v := range c.Values {
			ch.Values = append(ch.Values, sc.Resolve(v))
		}
		out = append(out, Source{Field: fmt.Sprintf("spec.workload.helm[%d]", i), Chart: ch})
	}
	return out
}

// RenderOptions tune Render.
type RenderOptions struct {
	// Namespace is the run namespace: Helm renders .Release.Namespace as
	// it, and objects may name no other.
	Namespace string
	// KubeVersion is the cluster's version (v1.35.0) for charts that check
	// .Capabilities.KubeVersion; empty uses Helm's default.
	KubeVersion string
}

// Render renders every source, in order. The first source that fails
// ends it with an error naming the source's field and path.
func Render(ctx context.Context, srcs []Source, o RenderOptions) ([]Object, error) {
	var out []Object
	for _, s := range srcs {
		var (
			objs []Object
			err  error
			what string
		)
		switch {
		case s.Manifest != "":
			what = s.Manifest
			objs, err = renderManifests(s.Field, s.Manifest)
		case s.Kustomize != "":
			what = s.Kustomize
			objs, err = renderKustomize(s.Field, s.Kustomize)
		case s.Chart != nil:
			what = s.Chart.Path
			objs, err = renderChart(ctx, s.Field, *s.Chart, o)
		default:
			err = fmt.Errorf("no manifest, kustomization or chart")
		}
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", s.Field, what, err)
		}
		if len(objs) == 0 {
			return nil, fmt.Errorf("%s (%s): renders no objects", s.Field, what)
		}
		out = append(out, objs...)
	}
	return out, checkUnique(out)
}

// checkUnique refuses two objects of the same kind and name: the second
// create would fail half-way through the deploy.
func checkUnique(objs []Object) error {
	seen := map[string]Object{}
	for _, o := range objs {
		k := o.GroupVersionKind().GroupKind().String() + "/" + o.GetName()
		if prev, dup := seen[k]; dup {
			return fmt.Errorf("%s is defined twice: also by %s", o.Ref(), prev.Source)
		}
		seen[k] = o
	}
	return nil
}

// manifestExts are the file names read from a manifest folder.
var manifestExts = []string{".yaml", ".yml", ".json"}

func renderManifests(field, path string) ([]Object, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if info.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range entries {
			if !e.IsDir() && slices.Contains(manifestExts, strings.ToLower(filepath.Ext(e.Name()))) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no *.yaml, *.yml or *.json files in the folder")
		}
	}
	var out []Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := decodeDocuments(data, func(d document) string { return fmt.Sprintf("%s, %s:%d", field, f, d.line) })
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// document is one YAML document of a multi-document stream and the line
// it starts on.
type document struct {
	line int
	data []byte
}

// splitDocuments splits a YAML stream at its "---" lines, keeping each
// document's first line number for messages.
func splitDocuments(data []byte) []document {
	var docs []document
	cur := document{line: 1}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if t := bytes.TrimRight(line, " \t\r"); bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			docs = append(docs, cur)
			cur = document{line: n + 1}
			continue
		}
		cur.data = append(append(cur.data, line...), '\n')
	}
	return append(docs, cur)
}

// decodeDocuments decodes every non-empty document into objects; a List
// contributes its items. where names a document in messages.
func decodeDocuments(data []byte, where func(document) string) ([]Object, error) {
	var out []Object
	for _, d := range splitDocuments(data) {
		var m map[string]any
		if err := yaml.Unmarshal(d.data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", where(d), err)
		}
		if len(m) == 0 {
			continue // blank or comments only
		}
		u := &unstructured.Unstructured{Object: m}
		items := []*unstructured.Unstructured{u}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where(d), err)
			}
			items = items[:0]
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
		}
		for _, it := range items {
			if err := checkObject(it); err != nil {
				return nil, fmt.Errorf("%s: %w", where(d), err)
			}
			out = append(out, Object{Unstructured: it, Source: where(d)})
		}
	}
	return out, nil
}

// checkObject asks of an object what every API object needs.
func checkObject(u *unstructured.Unstructured) error {
	switch {
	case u.GetAPIVersion() == "":
		return fmt.Errorf("object has no apiVersion")
	case u.GetKind() == "":
		return fmt.Errorf("object has no kind")
	case u.GetName() == "" && u.GetGenerateName() == "":
		return fmt.Errorf("%s has no metadata.name", u.GetKind())
	case u.GetGenerateName() != "" && u.GetName() == "":
		return fmt.Errorf("%s uses metadata.generateName, which edgeproof cannot track for teardown; give metadata.name", u.GetKind())
	}
	return nil
}
