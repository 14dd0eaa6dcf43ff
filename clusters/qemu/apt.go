package qemu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/internal/command"
)

// foreignApt runs the host's apt for another architecture with its own
// state and cache directories, so .debs of that architecture can be
// fetched from the mirrors the host is configured with, without
// `dpkg --add-architecture` or any other change to the host's apt.
type foreignApt struct {
	// Dir holds the private lists, cache and an empty dpkg status.
	Dir string
	// Arch is the Debian architecture, e.g. arm64.
	Arch string
	// LowPriority runs apt niced.
	LowPriority bool
}

// options are the -o settings that point apt at the private state while
// keeping the host's sources and keys.
func (a foreignApt) options() []string {
	return []string{
		"-o", "Dir::State=" + filepath.Join(a.Dir, "state"),
		"-o", "Dir::State::status=" + filepath.Join(a.Dir, "state", "status"),
		"-o", "Dir::Cache=" + filepath.Join(a.Dir, "cache"),
		"-o", "APT::Architecture=" + a.Arch,
		"-o", "APT::Architectures::=" + a.Arch,
		// The private dirs belong to root; apt's sandbox user may not
		// write there, and no lock is needed on private state.
		"-o", "APT::Sandbox::User=root",
		"-o", "Debug::NoLocking=1",
		"-qq",
	}
}

func (a foreignApt) prepare() error {
	for _, d := range []string{"state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.Dir, d), 0o755); err != nil {
			return fmt.Errorf("creating apt dir: %w", err)
		}
	}
	status := filepath.Join(a.Dir, "state", "status")
	if _, err := os.Stat(status); err != nil {
		if err := os.WriteFile(status, nil, 0o644); err != nil {
			return fmt.Errorf("creating empty dpkg status: %w", err)
		}
	}
	return nil
}

// update refreshes the private package lists.
func (a foreignApt) update(ctx context.Context) error {
	if err := a.prepare(); err != nil {
		return err
	}
	args := append(a.options(), "update")
	if err := command.New("apt-get", args...).LowPriority(a.LowPriority).Run(ctx); err != nil {
		return fmt.Errorf("apt-get update for %s: %w", a.Arch, err)
	}
	return nil
}

// depends returns the Depends field of pkg's candidate version.
func (a foreignApt) depends(ctx context.Context, pkg string) (string, error) {
	args := append(a.options(), "show", "--no-all-versions", pkg)
	out, err := command.New("apt-cache", args...).Output(ctx)
	if err != nil {
		return "", fmt.Errorf("apt-cache show %s (%s): %w", pkg, a.Arch, err)
	}
	return controlField(string(out), "Depends"), nil
}

// download fetches pkg's candidate .deb into dir and returns its path.
func (a foreignApt) download(ctx context.Context, pkg, dir string) (string, error) {
	args := append(a.options(), "download", pkg)
	if err := command.New("apt-get", args...).Dir(dir).LowPriority(a.LowPriority).Run(ctx); err != nil {
		return "", fmt.Errorf("downloading %s (%s): %w", pkg, a.Arch, err)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*_"+a.Arch+".deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("downloading %s (%s): found %d .deb files", pkg, a.Arch, len(debs))
	}
	return debs[0], nil
}

// controlField returns a field of a Debian control stanza (the first one).
func controlField(stanza, field string) string {
	for _, line := range strings.Split(stanza, "\n") {
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// kernelPackage picks the versioned kernel package a kernel metapackage
// (linux-image-cloud-arm64) depends on from its Depends field, e.g.
// "linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)".
func kernelPackage(depends string) (string, error) {
	for _, alt := range strings.Split(depends, ",") {
		for _, p := range strings.Split(alt, "|") {
			name := strings.Fields(strings.TrimSpace(p))
			if len(name) > 0 && strings.HasPrefix(name[0], "linux-image-") {
				return name[0], nil
			}
		}
	}
	return "", fmt.Errorf("no linux-image-* package in Depends %q", depends)
}

// kernelRelease is the release (uname -r) a versioned kernel package
// installs: linux-image-6.1.0-56-cloud-arm64 -> 6.1.0-56-cloud-arm64.
func kernelRelease(pkg string) string {
	return strings.TrimSuffix(strings.TrimPrefix(pkg, "linux-image-"), "-unsigned")
}
