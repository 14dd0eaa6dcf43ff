package apps

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/edgeproof/edgeproof/internal/oci"
)

func object(apiVersion, kind, name, ns string) Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	u.SetNamespace(ns)
	return Object{Unstructured: u, Source: "test.yaml:1"}
}

func mapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	return m
}

func TestPrepare(t *testing.T) {
	got, err := Prepare(mapper(), []Object{object("apps/v1", "Deployment", "web", ""), object("v1", "ConfigMap", "cfg", "ep-run")}, "ep-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range got {
		if u.GetNamespace() != "ep-run" {
			t.Errorf("%s/%s in namespace %q, want ep-run", u.GetKind(), u.GetName(), u.GetNamespace())
		}
	}
	_, err = Prepare(mapper(), []Object{
		object("apps/v1", "Deployment", "web", ""),
		object("example.com/v1", "Widget", "w", ""),
		object("rbac.authorization.k8s.io/v1", "ClusterRole", "admin", ""),
		object("v1", "ConfigMap", "cfg", "kube-system"),
	}, "ep-run")
	for _, want := range []string{
		"Widget/w (test.yaml:1): the cluster does not serve kind Widget in apiVersion example.com/v1",
		"ClusterRole/admin (test.yaml:1): cluster-scoped objects are not supported",
		`ConfigMap/cfg (test.yaml:1): names namespace "kube-system"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Deployment/web") {
		t.Errorf("error %v names a valid object", err)
	}
}

// archive writes a docker-save archive holding tag for arch.
func archive(t *testing.T, tag, arch string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img, err := oci.Image([]oci.File{{Path: "/app", Src: bin, Mode: 0o755}}, oci.Config{Entrypoint: []string{"/app"}, Arch: arch})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "app.tar")
	if err := oci.WriteArchive(out, map[string]v1.Image{tag: img}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadImages(t *testing.T) {
	good := archive(t, "example.local/app:1", "amd64")
	arm := archive(t, "example.local/edge:1", "arm64")
	var loaded []map[string]string
	load := func(_ context.Context, a map[string]string) error { loaded = append(loaded, a); return nil }
	say := func(string, ...any) {}
	ctx := context.Background()

	if err := LoadImages(ctx, []Image{{Field: "f[0]", Name: "example.local/app:1", Archive: good}}, []string{"amd64"}, t.TempDir(), load, say); err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0]["amd64"] != good {
		t.Fatalf("loaded %v, want the archive for amd64", loaded)
	}
	loaded = nil
	for name, c := range map[string]struct {
		imgs  []Image
		archs []string
		want  string
	}{
		"wrong tag": {[]Image{{Field: "f[0]", Name: "example.local/other:1", Archive: good}}, []string{"amd64"}, "f[0]: image example.local/other:1: archive app.tar"},
		"missing architecture": {[]Image{{Field: "f[0]", Name: "example.local/app:1", Archive: good}, {Field: "f[1]", Name: "example.local/edge:1", Archive: arm}},
			[]string{"amd64"}, "f[1]: image example.local/edge:1: built for linux/arm64 only, but the cluster has amd64 nodes"},
		"mixed cluster":  {[]Image{{Field: "f[0]", Name: "example.local/app:1", Archive: good}}, []string{"amd64", "arm64"}, "cluster has arm64 nodes"},
		"not an archive": {[]Image{{Field: "f[0]", Name: "example.local/app:1", Archive: filepath.Join(t.TempDir(), "none.tar")}}, []string{"amd64"}, "none.tar"},
	} {
		err := LoadImages(ctx, c.imgs, c.archs, t.TempDir(), load, say)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if len(loaded) != 0 {
		t.Errorf("loaded %v although a check failed: nothing may be loaded unless every image is sound", loaded)
	}
	failing := func(context.Context, map[string]string) error { return errors.New("node unreachable") }

	err := LoadImages(ctx, []Image{{Field: "f[0]", Name: "example.local/app:1", Archive: good}}, []string{"amd64"}, t.TempDir(), failing, say)
	if err == nil || !strings.Contains(err.Error(), "f[0]: image example.local/app:1: node unreachable") {
		t.Errorf("failing load: error %v, want it named by field and image", err)
	}
}

// TestLoadImagesPerArchitecture: with one archive per architecture each
// node gets its own; an architecture among the nodes without an archive,
// or an archive built for another one, is refused before anything loads.
func TestLoadImagesPerArchitecture(t *testing.T) {
	amd := archive(t, "example.local/app:1", "amd64")
	arm := archive(t, "example.local/app:1", "arm64")
	var loaded []map[string]string
	load := func(_ context.Context, a map[string]string) error { loaded = append(loaded, a); return nil }
	say := func(string, ...any) {}
	both := Image{Field: "f[0]", Name: "example.local/app:1", Archives: map[string]string{"amd64": amd, "arm64": arm}}
	if err := LoadImages(t.Context(), []Image{both}, []string{"amd64", "arm64"}, t.TempDir(), load, say); err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0]["amd64"] != amd || loaded[0]["arm64"] != arm {
		t.Fatalf("loaded %v, want each architecture's archive", loaded)
	}
	loaded = nil
	for name, c := range map[string]struct {
		archives map[string]string
		want     string
	}{
		"no arm64 archive": {map[string]string{"amd64": amd}, "f[0]: image example.local/app:1: the cluster has arm64 nodes and archives gives none for arm64 (it has amd64)"},
		"swapped":          {map[string]string{"amd64": arm, "arm64": amd}, "built for linux/arm64 only, but the cluster has amd64 nodes"},
	} {
		img := Image{Field: "f[0]", Name: "example.local/app:1", Archives: c.archives}
		if err := LoadImages(t.Context(), []Image{img}, []string{"amd64", "arm64"}, t.TempDir(), load, say); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	if len(loaded) != 0 {
		t.Errorf("loaded %v although a check failed", loaded)
	}
}

// TestFromArchive: per-architecture archives count as archives, so an
// existing cluster imports them instead of leaving the image to a pull.
func TestFromArchive(t *testing.T) {
	for _, c := range []struct {
		im   Image
		want bool
		name string
	}{
		{Image{Name: "a:1"}, false, ""},
		{Image{Name: "a:1", Archive: "a.tar"}, true, "a.tar"},
		{Image{Name: "a:1", Archives: map[string]string{"arm64": "b.tar", "amd64": "a.tar"}}, true, "amd64: a.tar, arm64: b.tar"},
	} {
		if c.im.FromArchive() != c.want || c.im.ArchiveNames() != c.name {
			t.Errorf("%+v: FromArchive %v, names %q", c.im, c.im.FromArchive(), c.im.ArchiveNames())
		}
	}
}
