package apps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write creates files under dir from a name -> content map.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const chartYAML = "apiVersion: v2\nname: web\nversion: 0.1.0\n"

const deployTmpl = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "{{ .Values.image }}"}]
`

func render(t *testing.T, srcs ...Source) ([]Object, error) {
	t.Helper()
	return Render(context.Background(), srcs, RenderOptions{Namespace: "ep-run", KubeVersion: "v1.34.4"})
}

func TestRenderManifests(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"a.yaml": "# comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\n" +
			"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: two}}\n- {apiVersion: v1, kind: Secret, metadata: {name: three}}\n",
		"b.json":     `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"four"}}`,
		"notes.txt":  "not a manifest",
		"sub/c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never-read}\n",
	})
	objs, err := render(t, Source{Field: "spec.workload.manifests[0]", Manifest: dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	if got := strings.Join(names, ","); got != "one,two,three,four" {
		t.Fatalf("objects %s, want one,two,three,four (sub-folders and other files are not read)", got)
	}
	if src := objs[0].Source; !strings.Contains(src, "a.yaml:3") || !strings.HasPrefix(src, "spec.workload.manifests[0]") {
		t.Errorf("source %q: want the field and a.yaml:3", src)
	}
}

func TestRenderRefusesBadManifests(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"nokind.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nmetadata: {name: x}\n",
		"noname.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"generate.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n",
		"syntax.yaml":   "apiVersion: v1\nkind: [\n",
		"dup.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"empty/.keep":   "",
	})
	for file, want := range map[string]string{
		"nokind.yaml":   "nokind.yaml:5: object has no kind",
		"noname.yaml":   "ConfigMap has no metadata.name",
		"generate.yaml": "generateName",
		"syntax.yaml":   "syntax.yaml:1",
		"dup.yaml":      "ConfigMap/a (spec.workload.manifests[0], " + filepath.Join(dir, "dup.yaml") + ":5) is defined twice",
		"empty":         "no *.yaml, *.yml or *.json files",
		"missing.yaml":  "no such file",
	} {
		_, err := render(t, Source{Field: "spec.workload.manifests[0]", Manifest: filepath.Join(dir, file)})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "spec.workload.manifests[0]") {
			t.Errorf("%s: error %v, want it to name the field and contain %q", file, err, want)
		}
	}
}

func TestRenderKustomize(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"kustomization.yaml":     "resources: [cm.yaml]\nnamePrefix: site-\nlabels: [{pairs: {tier: edge}}]\n",
		"cm.yaml":                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
		"bad/kustomization.yaml": "resources: [missing.yaml]\n",
	})
	objs, err := render(t, Source{Field: "spec.workload.kustomize[0]", Kustomize: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GetName() != "site-cfg" || objs[0].GetLabels()["tier"] != "edge" {
		t.Fatalf("kustomize output %+v: want site-cfg labelled tier=edge", objs)
	}
	_, err = render(t, Source{Field: "spec.workload.kustomize[1]", Kustomize: filepath.Join(dir, "bad")})
	if err == nil || !strings.Contains(err.Error(), "spec.workload.kustomize[1]") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("broken kustomization: error %v, want the field and the missing resource", err)
	}
}

func TestRenderChart(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"web/Chart.yaml":                  chartYAML,
		"web/values.yaml":                 "replicas: 1\nimage: example.local/web:1\n",
		"web/templates/deploy.yaml":       deployTmpl,
		"web/templates/tests/test.yaml":   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {helm.sh/hook: test}\nspec: {containers: [{name: t, image: x}]}\n",
		"site.yaml":                       "replicas: 3\n",
		"broken/Chart.yaml":               chartYAML,
		"broken/templates/x.yaml":         "{{ .Values.nope.deeper }}\n",
		"hooked/Chart.yaml":               chartYAML,
		"hooked/templates/job.yaml":       "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: {helm.sh/hook: pre-install}\n",
		"hooked/templates/upgrade.yaml":   "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: upgrade\n  annotations: {helm.sh/hook: pre-upgrade}\n",
		"hooked/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"deleting/Chart.yaml":             chartYAML,
		"deleting/templates/job.yaml":     "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: cleanup\n  annotations: {helm.sh/hook: pre-delete}\n",
	})
	objs, err := render(t, Source{Field: "spec.workload.helm[0]", Chart: &Chart{
		Path: filepath.Join(dir, "web"), Release: "site", Values: []string{filepath.Join(dir, "site.yaml")}, Set: []string{"image=example.local/web:2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d objects, want the Deployment only (test hooks are not deployed)", len(objs))
	}
	d := objs[0]
	replicas, _, _ := unstructuredInt(d.Object, "spec", "replicas")
	if d.GetName() != "site" || d.GetNamespace() != "ep-run" || replicas != 3 || !strings.Contains(d.Source, "templates/deploy.yaml") {
		t.Errorf("rendered %s in %s with %d replicas from %q: want site in ep-run, 3 replicas, from templates/deploy.yaml", d.GetName(), d.GetNamespace(), replicas, d.Source)
	}
	// Install hooks come back with their annotations, for the deploy to
	// run in their phase; upgrade hooks do not (nothing is upgraded).
	hooked, err := render(t, Source{Field: "spec.workload.helm[1]", Chart: &Chart{Path: filepath.Join(dir, "hooked")}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range hooked {
		names = append(names, o.GetName()+"="+o.GetAnnotations()["helm.sh/hook"])
	}
	if strings.Join(names, " ") != "c= migrate=pre-install" || !strings.HasSuffix(hooked[1].Source, "(hook)") {
		t.Errorf("hooked chart gave %v (%s), want the ConfigMap and the pre-install Job", names, hooked[1].Source)
	}
	for name, want := range map[string]string{"broken": "rendering", "deleting": "delete hooks (web/templates/job.yaml)", "missing": "loading the chart"} {
		_, err := render(t, Source{Field: "spec.workload.helm[1]", Chart: &Chart{Path: filepath.Join(dir, name)}})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "spec.workload.helm[1]") {
			t.Errorf("chart %s: error %v, want the field and %q", name, err, want)
		}
	}
	_, err = render(t, Source{Field: "spec.workload.helm[2]", Chart: &Chart{Path: filepath.Join(dir, "web"), Values: []string{filepath.Join(dir, "none.yaml")}}})
	if err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing values file: error %v, want it named", err)
	}
}

func unstructuredInt(obj map[string]any, path ...string) (int64, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0, false, nil
		}
		cur = m[p]
	}
	switch v := cur.(type) {
	case int64:
		return v, true, nil
	case float64:
		return int64(v), true, nil
	}
	return 0, false, nil
}
