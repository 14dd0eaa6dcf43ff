// Package oci assembles container images from local files with
// go-containerregistry, so no image is ever pulled from a registry, and
// writes them as docker-archive tarballs that `docker load` and `ctr images
// import` both accept.
package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one entry of an image layer.
type File struct {
	// Path inside the image, absolute.
	Path string
	// Src is a host file to copy (content and, when Mode is 0, mode).
	Src string
	// Data is literal content, used when Src is empty.
	Data []byte
	// Mode of the entry; 0 means 0644 for data, the source's mode for Src.
	Mode int64
	// Link makes the entry a symlink to Link.
	Link string
}

// Config is the part of the image config edgeproof sets.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	// Arch is the image's GOARCH ("amd64", "arm64").
	Arch string
}

// epoch fixes every timestamp so that equal inputs give equal digests.
var epoch = time.Unix(0, 0).UTC()

// Image builds a single-layer image holding files.
func Image(files []File, cfg Config) (v1.Image, error) {
	layerBytes, err := layerTar(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("creating layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("appending layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = cfg.Arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = cfg.Entrypoint
	cf.Config.Cmd = cfg.Cmd
	cf.Config.Env = cfg.Env
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	return img, nil
}

// layerTar writes files, with their parent directories, as a tar stream.
func layerTar(files []File) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var mkdirs func(string) error
	mkdirs = func(dir string) error {
		if dir == "/" || dir == "." || dirs[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir)); err != nil {
			return err
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(dir, "/") + "/", Mode: 0o755, ModTime: epoch})
	}
	for _, f := range sorted {
		if !path.IsAbs(f.Path) {
			return nil, fmt.Errorf("image path %q is not absolute", f.Path)
		}
		if err := mkdirs(path.Dir(f.Path)); err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(f.Path, "/")
		if f.Link != "" {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: f.Link, Mode: 0o777, ModTime: epoch}); err != nil {
				return nil, err
			}
			continue
		}
		data, mode := f.Data, f.Mode
		if f.Src != "" {
			b, err := os.ReadFile(f.Src)
			if err != nil {
				return nil, fmt.Errorf("reading %s for %s: %w", f.Src, f.Path, err)
			}
			data = b
			if mode == 0 {
				st, err := os.Stat(f.Src)
				if err != nil {
					return nil, err
				}
				mode = int64(st.Mode().Perm())
			}
		}
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode, ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteArchive writes images, keyed by reference ("registry.k8s.io/pause:3.10.1"),
// to one docker-archive tarball, atomically.
func WriteArchive(dst string, images map[string]v1.Image) error {
	refs := make(map[name.Reference]v1.Image, len(images))
	for r, img := range images {
		tag, err := name.NewTag(r, name.WeakValidation)
		if err != nil {
			return fmt.Errorf("image reference %q: %w", r, err)
		}
		refs[tag] = img
	}
	tmp := dst + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		return fmt.Errorf("writing image archive %s: %w", dst, err)
	}
	return os.Rename(tmp, dst)
}

// ShortDigest returns the first 12 hex digits of an image's digest, for tags.
func ShortDigest(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("computing image digest: %w", err)
	}
	return d.Hex[:12], nil
}
