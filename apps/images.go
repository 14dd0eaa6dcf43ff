package apps

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/scenarios"
)

// Image is one image of the application and where it comes from.
type Image struct {
	// Field is the scenario field, for messages.
	Field string
	// Name is the reference the application's objects use.
	Name string
	// Archive is a docker-save tarball holding it; empty means the local
	// Docker engine (or Archives).
	Archive string
	// Archives are one tarball per architecture (amd64, arm64).
	Archives map[string]string
}

// FromArchive reports whether the image comes from archives rather than
// the local Docker engine.
func (im Image) FromArchive() bool { return im.Archive != "" || len(im.Archives) > 0 }

// ArchiveNames names the image's archives for messages: the one, or each
// with its architecture.
func (im Image) ArchiveNames() string {
	if im.Archive != "" {
		return im.Archive
	}
	var parts []string
	for _, a := range slices.Sorted(maps.Keys(im.Archives)) {
		parts = append(parts, a+": "+im.Archives[a])
	}
	return strings.Join(parts, ", ")
}

// Loader puts per-architecture image archives onto a cluster's nodes
// (clusters.Cluster.LoadImageArchives).
type Loader func(ctx context.Context, archives map[string]string) error

// LoadImages checks every image and then loads each onto every node:
// from its archive (the one of the node's architecture, when there is one
// per architecture), or saved from the local Docker engine into tmpDir
// first. Each image must be in its source and built for every
// architecture in archs (the nodes'); nothing is loaded unless all are.
func LoadImages(ctx context.Context, imgs []Image, archs []string, tmpDir string, load Loader, say func(string, ...any)) error {
	byArch := make([]map[string]string, len(imgs))
	for i, im := range imgs {
		m, cleanup, err := archivesOf(ctx, im, archs, tmpDir)
		defer cleanup()
		if err != nil {
			return fmt.Errorf("%s: image %s: %w", im.Field, im.Name, err)
		}
		byArch[i] = m
	}
	for i, m := range byArch {
		say("loading image %s onto every node", imgs[i].Name)
		if err := load(ctx, m); err != nil {
			return fmt.Errorf("%s: image %s: %w", imgs[i].Field, imgs[i].Name, err)
		}
	}
	return nil
}

// archivesOf finds image im's archive for each architecture in archs and
// checks each holds the image built for it. cleanup removes what was
// saved from Docker.
func archivesOf(ctx context.Context, im Image, archs []string, tmpDir string) (map[string]string, func(), error) {
	cleanup := func() {}
	if len(im.Archives) > 0 {
		out := map[string]string{}
		for _, a := range archs {
			path, ok := im.Archives[a]
			if !ok {
				return nil, cleanup, fmt.Errorf("the cluster has %s nodes and archives gives none for %s (it has %s)",
					a, a, strings.Join(slices.Sorted(maps.Keys(im.Archives)), ", "))
			}
			if err := checkArchive(path, im.Name, []string{a}); err != nil {
				return nil, cleanup, err
			}
			out[a] = path
		}
		return out, cleanup, nil
	}
	a := im.Archive
	if a == "" {
		saved, err := saveFromDocker(ctx, im.Name, tmpDir)
		if err != nil {
			return nil, cleanup, err
		}
		cleanup = func() { os.Remove(saved) }
		a = saved
	}
	if err := checkArchive(a, im.Name, archs); err != nil {
		return nil, cleanup, err
	}
	// One archive, checked to be of the only architecture among the nodes.
	return map[string]string{archs[0]: a}, cleanup, nil
}

// saveFromDocker writes the image from the local Docker engine to a
// docker-save archive in dir.
func saveFromDocker(ctx context.Context, ref, dir string) (string, error) {
	if _, err := command.New("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output(ctx); err != nil {
		return "", fmt.Errorf("not in the local Docker engine (and no archive given): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "app-image-*.tar")
	if err != nil {
		return "", err
	}
	f.Close()
	if _, err := command.New("docker", "save", "-o", f.Name(), ref).Output(ctx); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("docker save: %w", err)
	}
	return f.Name(), nil
}

// checkArchive asks that the archive holds ref, for the one architecture
// of every node.
func checkArchive(archive, ref string, archs []string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("archives are looked up by tag: %w", err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		return fmt.Errorf("archive %s: %w", filepath.Base(archive), err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("archive %s: reading the image config: %w", filepath.Base(archive), err)
	}
	var missing []string
	for _, a := range archs {
		if a != cf.Architecture {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("built for %s/%s only, but the cluster has %s nodes; give an image for each architecture",
			cf.OS, cf.Architecture, strings.Join(missing, ", "))
	}
	return nil
}

// ImagesFromScenario lists the application's images of a loaded
// scenario, with archives resolved from the scenario file.
func ImagesFromScenario(sc *scenarios.Scenario) []Image {
	var out []Image
	for i, s := range sc.Spec.Workload.Images {
		im := Image{Field: fmt.Sprintf("spec.workload.images[%d]", i), Name: s.Name}
		if s.Archive != "" {
			im.Archive = sc.Resolve(s.Archive)
		}
		for a, path := range s.Archives {
			if im.Archives == nil {
				im.Archives = map[string]string{}
			}
			im.Archives[string(a)] = sc.Resolve(path)
		}
		out = append(out, im)
	}
	return out
}
