package oci

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Archives built for two architectures under one reference become one
// index in the registry, with each architecture's image in it.
func TestPushMakesOneIndexPerReference(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://") + "/edge/proof"

	dir := t.TempDir()
	archives := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := Image([]File{{Path: "/hello", Data: []byte(arch)}}, Config{Entrypoint: []string{"/hello"}, Arch: arch})
		if err != nil {
			t.Fatal(err)
		}
		archives[arch] = filepath.Join(dir, arch+".tar")
		if err := WriteArchive(archives[arch], map[string]v1.Image{"edgeproof.local/edgeproof-sink:abc123": img}); err != nil {
			t.Fatal(err)
		}
	}
	pushed, err := Push(context.Background(), archives, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := reg + "/edgeproof-sink:abc123"
	if pushed["edgeproof.local/edgeproof-sink:abc123"] != want {
		t.Fatalf("pushed %v, want %s", pushed, want)
	}
	ref, err := name.ParseReference(want)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var archs []string
	for _, d := range m.Manifests {
		archs = append(archs, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	if strings.Join(archs, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("index holds %v", archs)
	}
}

func TestPushBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := Push(ctx, map[string]string{"amd64": "/nonexistent.tar"}, "127.0.0.1:1/x"); err == nil || !strings.Contains(err.Error(), "/nonexistent.tar") {
		t.Errorf("missing archive: %v", err)
	}
	if _, err := Push(ctx, nil, "Not A Registry"); err == nil || !strings.Contains(err.Error(), `registry "Not A Registry"`) {
		t.Errorf("bad registry: %v", err)
	}
}
