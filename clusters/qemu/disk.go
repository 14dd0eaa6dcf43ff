// Package qemu provides arm64 edge nodes as QEMU virtual machines: it
// builds, once and cached, a bootable arm64 node disk from Debian
// packages and Kubernetes built from the Go module proxy, and boots VMs
// from copy-on-write overlays of it, each told its identity through QEMU
// fw_cfg so that one disk serves every VM.
package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/gobuild"
	"github.com/edgeproof/edgeproof/internal/progress"
)

// Arch is the architecture of QEMU edge nodes (Debian and Go name it alike).
const Arch = "arm64"

// DefaultDiskSize is the size of the base image's filesystem. Unused space
// costs nothing: the raw image is sparse and VMs write to qcow2 overlays.
const DefaultDiskSize = "3G"

// rootfsExtra are packages a VM needs beyond a kind node's: udev (networkd
// waits for udev to initialise eth0), initramfs-tools to build the
// initramfs, e2fsprogs for the boot-time fsck and netbase for the
// protocol and service names that iptables and conntrack look up.
var rootfsExtra = []string{"udev", "initramfs-tools", "e2fsprogs", "netbase"}

// Options control BuildDisk.
type Options struct {
	// KubernetesVersion, e.g. v1.34.4 (default: the kind node image's).
	KubernetesVersion string
	// RepoRoot is the edgeproof checkout (edgeproof-pause is built from it).
	RepoRoot string
	// DiskSize is the filesystem size, as mkfs.ext4 takes it (default 3G).
	DiskSize string
	// Printer shows progress; nil prints nothing.
	Printer *progress.Printer
	// Verbose streams the output of long commands.
	Verbose bool
	// LowPriority runs the heavy child processes (go build, debootstrap,
	// chroot steps, mkfs) under nice and ionice's idle class.
	LowPriority bool
}

// Disk is a built arm64 node disk. Its files are shared and read-only:
// boot each VM from an overlay (see VMConfig).
type Disk struct {
	// Dir is the disk's cache directory.
	Dir string `json:"-"`
	// Image is the raw ext4 base image.
	Image string `json:"-"`
	// Kernel and Initrd are booted with QEMU's -kernel and -initrd.
	Kernel string `json:"-"`
	Initrd string `json:"-"`
	// KernelRelease is the kernel's uname -r.
	KernelRelease string `json:"kernelRelease"`
	// KubernetesVersion of kubelet and kubeadm on the disk.
	KubernetesVersion string `json:"kubernetesVersion"`
	// PauseImage is the sandbox image preloaded and configured in containerd.
	PauseImage string `json:"pauseImage"`
	// KubeProxyImage is the arm64 kube-proxy image preloaded.
	KubeProxyImage string `json:"kubeProxyImage"`
	// Cached is true when the disk existed and nothing was built.
	Cached bool `json:"-"`
}

// manifest is disk.json in the disk's directory.
const manifest = "disk.json"

type builder struct {
	Options
	p   *progress.Printer
	gb  *gobuild.Builder
	log io.Writer
}

// BuildDisk builds (or finds in ~/.cache/edgeproof/qemu) the arm64 node
// disk for opts. Each stage (rootfs, kernel, Kubernetes binaries, images,
// disk) is cached under a key of its own inputs, so a changed input
// rebuilds only the stages that depend on it; with nothing changed it
// returns in seconds. A failed or interrupted stage leaves nothing behind.
func BuildDisk(ctx context.Context, opts Options) (*Disk, error) {
	if opts.KubernetesVersion == "" {
		opts.KubernetesVersion = nodeimage.DefaultKubernetesVersion
	}
	if opts.DiskSize == "" {
		opts.DiskSize = DefaultDiskSize
	}
	b := &builder{Options: opts, p: opts.Printer}
	if b.p == nil {
		b.p = progress.Discard()
	}
	if opts.Verbose {
		b.log = b.p.Writer()
	}
	b.gb = &gobuild.Builder{RepoRoot: opts.RepoRoot, Log: b.log, LowPriority: opts.LowPriority}
	// Missing tools must fail here, clearly, not as an "exec format
	// error" or a stuck chroot halfway through a cold build.
	if err := host.QEMUMissing(); err != nil {
		return nil, err
	}
	return b.build(ctx)
}

func (b *builder) build(ctx context.Context) (*Disk, error) {
	v := b.KubernetesVersion
	b.p.Infof("Building the %s QEMU node disk for Kubernetes %s", Arch, v)
	var bins k8sBinaries
	if err := b.p.Step("kubelet, kubeadm, kube-proxy "+v+", crictl, edgeproof-pause, -cni, -vmagent for "+Arch, func() (err error) {
		bins, err = b.buildBinaries(ctx)
		return err
	}); err != nil {
		return nil, err
	}

	rootfsOpts := nodeimage.RootfsOptions{Arch: Arch, Extra: rootfsExtra, Log: b.log, LowPriority: b.LowPriority}
	rootfsKey := nodeimage.RootfsKey(rootfsOpts)
	var rootfs string
	// BuildRootfs returns a cached tree at once and asks for root only
	// when it has to debootstrap.
	if err := b.p.Step("debootstrap "+nodeimage.DebianSuite+" "+Arch+" rootfs", func() (err error) {
		rootfs, err = nodeimage.BuildRootfs(ctx, rootfsOpts)
		return err
	}); err != nil {
		return nil, err
	}

	kernelDir, err := stageDir("kernel", kernelKey(rootfsKey))
	if err != nil {
		return nil, err
	}
	if err := b.stage("kernel and initramfs", kernelDir, func() error { return b.buildKernel(ctx, rootfs, kernelDir) }); err != nil {
		return nil, err
	}
	var kernel kernelInfo
	if err := readJSON(filepath.Join(kernelDir, "kernel.json"), &kernel); err != nil {
		return nil, err
	}

	ikey, err := imagesKey(rootfsKey, bins)
	if err != nil {
		return nil, err
	}
	imagesDir, err := stageDir("images", ikey)
	if err != nil {
		return nil, err
	}
	if err := b.stage("arm64 images (pause, kube-proxy, edgeproof-cni) preloaded for containerd", imagesDir, func() error {
		return b.buildImages(ctx, rootfs, bins, imagesDir)
	}); err != nil {
		return nil, err
	}

	in := diskInputs{rootfs: rootfs, rootfsKey: rootfsKey, kernelDir: kernelDir, kernel: kernel, imagesDir: imagesDir, bins: bins, size: b.DiskSize}
	key, err := in.key()
	if err != nil {
		return nil, err
	}
	dir, err := stageDir("disk", key)
	if err != nil {
		return nil, err
	}
	cached := stageDone(dir)
	if err := b.stage("node disk (mkfs.ext4 -d, "+b.DiskSize+")", dir, func() error { return b.buildDisk(ctx, in, dir) }); err != nil {
		return nil, err
	}
	d, err := OpenDisk(dir)
	if err != nil {
		return nil, err
	}
	d.Cached = cached
	removed, err := pruneStages([]string{dir, imagesDir, kernelDir}, "disk", "images", "kernel")
	if err != nil {
		return nil, err
	}
	if len(removed) > 0 {
		b.p.Infof("Removed %d outdated stage folder(s) from the cache: %s", len(removed), strings.Join(removed, ", "))
	}
	b.p.Infof("Node disk: %s", d.Image)
	return d, nil
}

// stage runs build as a progress step unless dir already holds the
// stage, which is reported as cached.
func (b *builder) stage(name, dir string, build func() error) error {
	if stageDone(dir) {
		b.p.Skip(name, filepath.Base(dir))
		return nil
	}
	if err := needRoot(name); err != nil {
		return err
	}
	return b.p.Step(name, build)
}

func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s: building the arm64 node disk needs root (debootstrap, chroot)", what)
	}
	return nil
}

// OpenDisk reads a built disk from its cache directory.
func OpenDisk(dir string) (*Disk, error) {
	if !stageDone(dir) {
		return nil, fmt.Errorf("%s is not a complete node disk", dir)
	}
	d := &Disk{Dir: dir, Image: filepath.Join(dir, "base.img"), Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initrd.img")}
	if err := readJSON(filepath.Join(dir, manifest), d); err != nil {
		return nil, err
	}
	for _, f := range []string{d.Image, d.Kernel, d.Initrd} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("node disk %s is incomplete: %w", dir, err)
		}
	}
	return d, nil
}

func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
