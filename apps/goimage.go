package apps

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/internal/gobuild"
	"github.com/edgeproof/edgeproof/internal/oci"
)

// GoImage is a Go program from the module proxy to pack as a
// single-binary image, the way the examples build third-party
// applications without a registry.
type GoImage struct {
	// Module is MODULE@VERSION.
	Module string
	// Package is the main package; empty means the module's root.
	Package string
	// Tag is the image reference to give it.
	Tag string
	// Arch is the GOARCH to build for.
	Arch string
	// Args are appended to the entrypoint.
	Args []string
}

// BuildGoImage builds g (cached by its inputs, like the fixtures) and
// writes it to out as a docker-save archive; log receives the go
// command's output.
func BuildGoImage(ctx context.Context, g GoImage, out string, log io.Writer) error {
	modPath, version, ok := strings.Cut(g.Module, "@")
	if !ok || modPath == "" || version == "" {
		return fmt.Errorf("module: want MODULE@VERSION, got %q", g.Module)
	}
	if _, err := name.NewTag(g.Tag); err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	pkg := g.Package
	if pkg == "" {
		pkg = modPath
	}
	bin := path.Base(pkg)
	if len(bin) <= 3 && strings.HasPrefix(bin, "v") { // a major-version suffix such as /v2
		bin = path.Base(path.Dir(pkg))
	}
	gb := &gobuild.Builder{Log: log}
	m := gobuild.Module{Name: bin + "-" + version, Requires: []string{g.Module}, Imports: []string{pkg}}
	file, err := gb.BuildFromModule(ctx, m, gobuild.Program{Name: bin, Package: pkg, Arch: g.Arch})
	if err != nil {
		return err
	}
	img, err := oci.Image([]oci.File{{Path: "/" + bin, Src: file, Mode: 0o755}},
		oci.Config{Entrypoint: append([]string{"/" + bin}, g.Args...), Arch: g.Arch})
	if err != nil {
		return fmt.Errorf("packing %s: %w", bin, err)
	}
	return oci.WriteArchive(out, map[string]v1.Image{g.Tag: img})
}
