// Package gobuild builds static Go programs for node and workload images:
// the project's own commands from its checkout, and third-party programs
// (Kubernetes, etcd, CoreDNS, ...) from the Go module proxy through small
// generated modules. Outputs are cached by a hash of their inputs.
package gobuild

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
)

// Module describes a generated module that third-party programs are built
// from. Requires and Replaces pin every version, so the module's content,
// and therefore its key, is fully determined by these fields.
type Module struct {
	// Name is a short label, used in paths.
	Name string
	// Requires lists module@version entries.
	Requires []string
	// Replaces lists "old => new version" entries.
	Replaces []string
	// Imports are packages that must resolve (written to tools.go so that
	// `go mod tidy` keeps them).
	Imports []string
	// Main, when set, is the source of a main package at the module root.
	Main string
}

// Key hashes the module's definition.
func (m Module) Key() string {
	h := cache.NewHasher().String("name", m.Name).String("require", m.Requires...).
		String("replace", m.Replaces...).String("import", m.Imports...).String("main", m.Main)
	return h.Sum(16)
}

// Program is one binary to build.
type Program struct {
	// Name of the output file.
	Name string
	// Package is the import path of the main package; "." means the
	// generated module's root (Module.Main).
	Package string
	// LDFlags are passed to the linker (-s -w is always added).
	LDFlags []string
	// Arch is the target GOARCH; empty means the host's.
	Arch string
	// Tags are build tags (e.g. "mutants"); the output is kept apart from
	// the untagged build's.
	Tags []string
}

// Builder builds programs into the cache.
type Builder struct {
	// RepoRoot is the edgeproof checkout, for its own commands.
	RepoRoot string
	// Log receives the go command's output on long steps (may be nil).
	Log interface{ Write([]byte) (int, error) }
	// LowPriority runs the go command niced (see command.Cmd.LowPriority).
	LowPriority bool
}

func (p Program) arch() string {
	if p.Arch == "" {
		return runtime.GOARCH
	}
	return p.Arch
}

// BuildFromModule builds prog from the generated module m, skipping the
// build when an output with the same inputs exists.
func (b *Builder) BuildFromModule(ctx context.Context, m Module, prog Program) (string, error) {
	bin, err := cache.Dir("bin", prog.arch())
	if err != nil {
		return "", err
	}
	key := cache.NewHasher().String("module", m.Key()).String("pkg", prog.Package).
		String("ld", prog.LDFlags...).String("go", runtime.Version()).Sum(16)
	out := filepath.Join(bin, prog.Name+"-"+key)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	dir, err := b.prepareModule(ctx, m)
	if err != nil {
		return "", err
	}
	if err := b.goBuild(ctx, dir, prog, out); err != nil {
		return "", fmt.Errorf("building %s from %s: %w", prog.Name, m.Name, err)
	}
	return out, nil
}

// BuildOwn builds one of edgeproof's own commands (./cmd/NAME or any
// package path relative to the repository). Go's build cache makes repeats
// cheap, and callers hash the output, so no key is needed here.
func (b *Builder) BuildOwn(ctx context.Context, prog Program) (string, error) {
	bin, err := cache.Dir("bin", prog.arch(), "own")
	if err != nil {
		return "", err
	}
	out := filepath.Join(bin, prog.Name)
	if len(prog.Tags) > 0 {
		out += "-" + strings.Join(prog.Tags, "-")
	}
	if err := b.goBuild(ctx, b.RepoRoot, prog, out); err != nil {
		return "", fmt.Errorf("building %s: %w", prog.Name, err)
	}
	return out, nil
}

func (b *Builder) goBuild(ctx context.Context, dir string, prog Program, out string) error {
	ld := strings.Join(append([]string{"-s", "-w"}, prog.LDFlags...), " ")
	tmp := out + ".tmp"
	args := []string{"build", "-trimpath", "-ldflags", ld, "-o", tmp}
	if len(prog.Tags) > 0 {
		args = append(args, "-tags", strings.Join(prog.Tags, ","))
	}
	cmd := command.New("go", append(args, prog.Package)...).Dir(dir).
		Env("CGO_ENABLED=0", "GOOS=linux", "GOARCH="+prog.arch(), "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false").LowPriority(b.LowPriority)
	if b.Log != nil {
		cmd.Tee(b.Log)
	}
	if err := cmd.Run(ctx); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// prepareModule writes the generated module and resolves its dependencies
// once; a stamp marks it complete so an interrupted tidy is redone.
func (b *Builder) prepareModule(ctx context.Context, m Module) (string, error) {
	dir, err := cache.Dir("gomod", m.Name+"-"+m.Key())
	if err != nil {
		return "", err
	}
	stamp := filepath.Join(dir, ".ready")
	if _, err := os.Stat(stamp); err == nil {
		return dir, nil
	}
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module edgeproof.local/%s\n\ngo 1.24.0\n", m.Name)
	if len(m.Requires) > 0 {
		gomod.WriteString("\nrequire (\n")
		for _, r := range m.Requires {
			mod, ver, ok := strings.Cut(r, "@")
			if !ok {
				return "", fmt.Errorf("module %s: require %q is not module@version", m.Name, r)
			}
			fmt.Fprintf(&gomod, "\t%s %s\n", mod, ver)
		}
		gomod.WriteString(")\n")
	}
	if len(m.Replaces) > 0 {
		gomod.WriteString("\nreplace (\n")
		for _, r := range m.Replaces {
			fmt.Fprintf(&gomod, "\t%s\n", r)
		}
		gomod.WriteString(")\n")
	}
	files := map[string]string{"go.mod": gomod.String()}
	if len(m.Imports) > 0 {
		imports := append([]string(nil), m.Imports...)
		sort.Strings(imports)
		var tools strings.Builder
		tools.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
		for _, i := range imports {
			fmt.Fprintf(&tools, "\t_ %q\n", i)
		}
		tools.WriteString(")\n")
		files["tools.go"] = tools.String()
	}
	if m.Main != "" {
		files["main.go"] = m.Main
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("writing module %s: %w", m.Name, err)
		}
	}
	cmd := command.New("go", "mod", "tidy").Dir(dir).Env("GOWORK=off", "GOFLAGS=-mod=mod").LowPriority(b.LowPriority)
	if b.Log != nil {
		cmd.Tee(b.Log)
	}
	if err := cmd.Run(ctx); err != nil {
		return "", fmt.Errorf("resolving module %s from the Go module proxy: %w", m.Name, err)
	}
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		return "", fmt.Errorf("marking module %s ready: %w", m.Name, err)
	}
	return dir, nil
}

// ModuleInfo locates a downloaded module in the module cache.
type ModuleInfo struct {
	// Dir is the module's extracted source.
	Dir string
	// GoMod is the path of its go.mod file.
	GoMod string
}

// Download fetches a module version through the proxy into the module
// cache and returns where it is. It fails with the proxy's answer when the
// version does not exist.
func Download(ctx context.Context, modVersion string) (ModuleInfo, error) {
	out, err := command.New("go", "mod", "download", "-json", modVersion).Env("GOWORK=off", "GOFLAGS=").Output(ctx)
	var info struct{ Dir, GoMod, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil {
		if err != nil {
			return ModuleInfo{}, err
		}
		return ModuleInfo{}, fmt.Errorf("parsing go mod download output: %w", jerr)
	}
	if info.Error != "" {
		// The proxy's answer is the last line; the rest repeats the request.
		lines := strings.Split(strings.TrimSpace(info.Error), "\n")
		return ModuleInfo{}, fmt.Errorf("%s", strings.TrimSpace(lines[len(lines)-1]))
	}
	if err != nil {
		return ModuleInfo{}, err
	}
	return ModuleInfo{Dir: info.Dir, GoMod: info.GoMod}, nil
}
