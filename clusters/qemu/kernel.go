package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
)

// kernelMetaPackage is Debian's arm64 cloud kernel: small, virtio drivers
// as modules, and its vmlinuz boots directly with QEMU's -kernel.
const kernelMetaPackage = "linux-image-cloud-arm64"

// initramfsModules are the only modules the initramfs needs: the cloud
// kernel has ext4 built in but the virtio disk behind PCI as modules.
var initramfsModules = []string{"virtio_pci", "virtio_blk"}

// initramfsConf keeps the initramfs small and quick to build under
// qemu-user: only the listed modules, and gzip (zstd is slow emulated).
// FSTYPE names the root filesystem, which mkinitramfs cannot probe in a
// chroot; with it fsck.ext4 goes into the initramfs and checks the root
// filesystem before it is mounted: a VM's disk must survive power loss.
const initramfsConf = "MODULES=list\nBUSYBOX=auto\nCOMPRESS=gzip\nFSTYPE=ext4\n"

// kernelInfo is kernel.json in the kernel stage.
type kernelInfo struct {
	// Package is the versioned kernel package, e.g. linux-image-6.1.0-56-cloud-arm64.
	Package string `json:"package"`
	// Release is its uname -r.
	Release string `json:"release"`
}

// kernelKey identifies a kernel stage. The kernel version is whatever the
// mirror serves when the stage is first built (as for every Debian
// package of the rootfs); the rootfs enters because its initramfs-tools
// and udev make the initramfs.
func kernelKey(rootfsKey string) string {
	return cache.NewHasher().String("rootfs", rootfsKey).String("meta", kernelMetaPackage).
		String("modules", initramfsModules...).String("conf", initramfsConf).Sum(16)
}

// buildKernel makes the kernel stage: vmlinuz, initrd.img and the
// kernel's modules (with modules.dep) as a tree to copy into the disk.
// The .deb is unpacked into a folder of its own, never over a rootfs:
// unpacking over a merged-/usr tree replaces its /lib symlink with a
// directory and the VM then panics without init.
func (b *builder) buildKernel(ctx context.Context, rootfs, dir string) error {
	_, err := buildStage(dir, func(tmp string) error {
		aptDir, err := cache.Dir("qemu", "apt-"+Arch)
		if err != nil {
			return err
		}
		apt := foreignApt{Dir: aptDir, Arch: Arch, LowPriority: b.LowPriority}
		if err := apt.update(ctx); err != nil {
			return err
		}
		deps, err := apt.depends(ctx, kernelMetaPackage)
		if err != nil {
			return err
		}
		pkg, err := kernelPackage(deps)
		if err != nil {
			return err
		}
		release := kernelRelease(pkg)
		b.p.Infof("    kernel package %s", pkg)
		deb, err := apt.download(ctx, pkg, tmp)
		if err != nil {
			return err
		}
		unpacked := filepath.Join(tmp, "deb")
		if err := command.New("dpkg-deb", "-x", deb, unpacked).LowPriority(b.LowPriority).Run(ctx); err != nil {
			return fmt.Errorf("unpacking %s: %w", filepath.Base(deb), err)
		}
		initrd, err := b.makeInitramfs(ctx, rootfs, unpacked, release, tmp)
		if err != nil {
			return err
		}
		moves := [][2]string{
			{filepath.Join(unpacked, "boot", "vmlinuz-"+release), filepath.Join(tmp, "vmlinuz")},
			{initrd, filepath.Join(tmp, "initrd.img")},
		}
		for _, m := range moves {
			if err := os.Rename(m[0], m[1]); err != nil {
				return fmt.Errorf("kernel stage: %w", err)
			}
		}
		for _, junk := range []string{deb, unpacked, filepath.Join(tmp, "work")} {
			if err := os.RemoveAll(junk); err != nil {
				return fmt.Errorf("kernel stage: %w", err)
			}
		}
		info, _ := json.MarshalIndent(kernelInfo{Package: pkg, Release: release}, "", "  ")
		return os.WriteFile(filepath.Join(tmp, "kernel.json"), info, 0o644)
	})
	return err
}

// makeInitramfs runs the rootfs's own depmod and mkinitramfs (arm64, under
// qemu-user) in a hard-linked copy of the rootfs with the new kernel's
// modules added. Both tools only create files, so the shared rootfs in
// the cache is left as it was. It leaves the modules, modules.dep
// included, in tmp/modules/RELEASE and returns the initramfs path.
func (b *builder) makeInitramfs(ctx context.Context, rootfs, unpacked, release, tmp string) (string, error) {
	work := filepath.Join(tmp, "work")
	if err := command.New("cp", "-al", rootfs, work).LowPriority(b.LowPriority).Run(ctx); err != nil {
		return "", fmt.Errorf("linking a scratch copy of the rootfs: %w", err)
	}
	modules, err := nodeimage.InRoot(work, "/lib/modules")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(modules, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(unpacked, "lib", "modules", release)
	if _, err := os.Stat(src); err != nil {
		src = filepath.Join(unpacked, "usr", "lib", "modules", release)
	}
	if err := command.New("cp", "-a", src, filepath.Join(modules, release)).Run(ctx); err != nil {
		return "", fmt.Errorf("adding kernel modules: %w", err)
	}
	// mkinitramfs reads the kernel's config to check it can unpack the
	// chosen compression.
	bootDir := filepath.Join(work, "boot")
	if err := os.MkdirAll(bootDir, 0o755); err != nil {
		return "", err
	}
	config := "config-" + release
	if err := command.New("cp", filepath.Join(unpacked, "boot", config), filepath.Join(bootDir, config)).Run(ctx); err != nil {
		return "", fmt.Errorf("adding the kernel config: %w", err)
	}
	conf := filepath.Join(work, "etc", "edgeproof-initramfs")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(conf, "initramfs.conf"), []byte(initramfsConf), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(conf, "modules"), []byte(strings.Join(initramfsModules, "\n")+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := command.New("chroot", work, "depmod", release).LowPriority(b.LowPriority).Run(ctx); err != nil {
		return "", fmt.Errorf("depmod %s in the arm64 rootfs (needs qemu-aarch64 in binfmt_misc): %w", release, err)
	}
	out := "/boot/initrd.img-" + release
	cmd := command.New("chroot", work, "mkinitramfs", "-d", "/etc/edgeproof-initramfs", "-o", out, release).LowPriority(b.LowPriority)
	if b.log != nil {
		cmd.Tee(b.log)
	}
	if err := cmd.Run(ctx); err != nil {
		return "", fmt.Errorf("mkinitramfs %s in the arm64 rootfs: %w", release, err)
	}
	if err := os.Rename(filepath.Join(modules, release), filepath.Join(tmp, "modules")); err != nil {
		return "", fmt.Errorf("keeping kernel modules: %w", err)
	}
	return filepath.Join(work, out), nil
}
