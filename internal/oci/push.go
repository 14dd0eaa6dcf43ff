package oci

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Push publishes every image of the per-architecture docker-archives
// (GOARCH -> archive, each holding the same references) to registry, a
// host[:port][/path] prefix: each reference becomes one multi-architecture
// index, registry/NAME:TAG, with NAME the last path element of the
// original repository. It returns the pushed reference of each original
// one. Credentials come from the Docker config (~/.docker/config.json), as
// docker push reads them; a registry on localhost or a private address is
// spoken to over plain HTTP, as go-containerregistry does by default.
func Push(ctx context.Context, archives map[string]string, registry string) (map[string]string, error) {
	if _, err := name.NewRepository(strings.TrimSuffix(registry, "/") + "/x"); err != nil {
		return nil, fmt.Errorf("registry %q: %w", registry, err)
	}
	byRef := map[string]map[string]v1.Image{} // reference -> arch -> image
	for _, arch := range slices.Sorted(maps.Keys(archives)) {
		file := archives[arch]
		manifest, err := tarball.LoadManifest(opener(file))
		if err != nil {
			return nil, fmt.Errorf("reading image archive %s: %w", file, err)
		}
		for _, desc := range manifest {
			for _, ref := range desc.RepoTags {
				tag, err := name.NewTag(ref)
				if err != nil {
					return nil, fmt.Errorf("image archive %s: reference %q: %w", file, ref, err)
				}
				img, err := tarball.Image(opener(file), &tag)
				if err != nil {
					return nil, fmt.Errorf("image archive %s: %s: %w", file, ref, err)
				}
				if byRef[ref] == nil {
					byRef[ref] = map[string]v1.Image{}
				}
				byRef[ref][arch] = img
			}
		}
	}
	pushed := map[string]string{}
	for _, ref := range slices.Sorted(maps.Keys(byRef)) {
		dst, err := Mirrored(ref, registry)
		if err != nil {
			return nil, err
		}
		if err := pushIndex(ctx, byRef[ref], dst); err != nil {
			return nil, fmt.Errorf("pushing %s as %s: %w", ref, dst, err)
		}
		pushed[ref] = dst
	}
	return pushed, nil
}

// Mirrored is the reference ref gets under registry: registry/NAME:TAG.
func Mirrored(ref, registry string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	dst := strings.TrimSuffix(registry, "/") + "/" + path.Base(tag.RepositoryStr()) + ":" + tag.TagStr()
	if _, err := name.NewTag(dst); err != nil {
		return "", fmt.Errorf("registry %q: %w", registry, err)
	}
	return dst, nil
}

// pushIndex pushes one image per architecture under dst as an OCI index,
// so that each node pulls its own.
func pushIndex(ctx context.Context, imgs map[string]v1.Image, dst string) error {
	tag, err := name.NewTag(dst)
	if err != nil {
		return err
	}
	var adds []mutate.IndexAddendum
	for _, arch := range slices.Sorted(maps.Keys(imgs)) {
		cf, err := imgs[arch].ConfigFile()
		if err != nil {
			return err
		}
		p := &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}
		if p.OS == "" || p.Architecture == "" {
			p = &v1.Platform{OS: "linux", Architecture: arch}
		}
		adds = append(adds, mutate.IndexAddendum{Add: imgs[arch], Descriptor: v1.Descriptor{Platform: p}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	return remote.WriteIndex(tag, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
}

// opener opens file each time go-containerregistry reads the archive.
func opener(file string) tarball.Opener {
	return func() (io.ReadCloser, error) { return os.Open(file) }
}
