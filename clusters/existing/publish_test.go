package existing

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/internal/oci"
)

// With a registry, edgeproof's own images are pushed there and known by
// their pushed references; nothing goes through the agent.
func TestPublishImagesPushesToTheRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://") + "/site"
	img, err := oci.Image([]oci.File{{Path: "/x", Data: []byte("x")}}, oci.Config{Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "a.tar")
	if err := oci.WriteArchive(archive, map[string]v1.Image{"edgeproof.local/edgeproof-prober:1": img}); err != nil {
		t.Fatal(err)
	}
	var logged []string
	d := &Driver{o: Options{Registry: reg, Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}}
	refs, err := d.PublishImages(context.Background(), map[string]string{"amd64": archive})
	if err != nil {
		t.Fatal(err)
	}
	if refs["edgeproof.local/edgeproof-prober:1"] != reg+"/edgeproof-prober:1" || len(logged) != 1 || !strings.Contains(logged[0], "pushed 1 images to "+reg) {
		t.Errorf("refs %v, logged %q", refs, logged)
	}
}
