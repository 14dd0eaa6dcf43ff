package qemu

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
)

// guest holds the files the disk adds to the Debian rootfs, at their
// paths in the guest; *.tmpl files are rendered with guestData.
//
//go:embed guest
var guest embed.FS

// guestUnits are enabled on the disk.
var guestUnits = []string{
	"edgeproof-env.service", "edgeproof-selftest.service", "edgeproof-join.service", "edgeproof-agent.service", "kubelet.service",
	"containerd.service", "systemd-networkd.service",
}

// guestData is what the templates in guest/ see.
type guestData struct {
	KubernetesVersion, PauseImage, KubeProxyImage, CNIImage string
}

// guestFile is one rendered file of guest/.
type guestFile struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// guestFiles renders guest/ for d. Programs under /usr/local/lib/edgeproof
// are executable; everything else is 0644.
func guestFiles(d guestData) ([]guestFile, error) {
	var files []guestFile
	err := fs.WalkDir(guest, "guest", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		raw, err := guest.ReadFile(p)
		if err != nil {
			return err
		}
		dst := strings.TrimPrefix(p, "guest")
		if strings.HasSuffix(dst, ".tmpl") {
			dst = strings.TrimSuffix(dst, ".tmpl")
			t, err := template.New(dst).Option("missingkey=error").Parse(string(raw))
			if err != nil {
				return fmt.Errorf("parsing guest file %s: %w", dst, err)
			}
			var out bytes.Buffer
			if err := t.Execute(&out, d); err != nil {
				return fmt.Errorf("rendering guest file %s: %w", dst, err)
			}
			raw = out.Bytes()
		}
		mode := os.FileMode(0o644)
		if path.Dir(dst) == "/usr/local/lib/edgeproof" {
			mode = 0o755
		}
		files = append(files, guestFile{Path: dst, Data: raw, Mode: mode})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading embedded guest files: %w", err)
	}
	return files, nil
}

// diskInputs are everything the final disk stage is made of.
type diskInputs struct {
	rootfs, rootfsKey string
	kernelDir         string
	kernel            kernelInfo
	imagesDir         string
	bins              k8sBinaries
	size              string
}

func (in diskInputs) guestData() guestData {
	return guestData{KubernetesVersion: in.bins.Version, PauseImage: in.bins.PauseImage, KubeProxyImage: in.bins.KubeProxyImage, CNIImage: diskCNIImage}
}

// key hashes the stage keys and binaries the disk is made from, and the
// guest files as rendered.
func (in diskInputs) key() (string, error) {
	files, err := guestFiles(in.guestData())
	if err != nil {
		return "", err
	}
	h := cache.NewHasher().String("rootfs", in.rootfsKey).String("kernel", filepath.Base(in.kernelDir)).
		String("images", filepath.Base(in.imagesDir)).String("bins", in.bins.Kubelet, in.bins.Kubeadm, in.bins.Crictl).
		String("size", in.size).String("units", guestUnits...)
	// The agent is built from the checkout, not at a content-keyed path.
	if err := h.File(in.bins.Agent); err != nil {
		return "", err
	}
	for _, f := range files {
		h.String("file", f.Path, fmt.Sprintf("%o", f.Mode), string(f.Data))
	}
	return h.Sum(16), nil
}

// buildDisk assembles the rootfs, kernel modules, binaries, preloaded
// images and guest files in a scratch copy and makes the raw ext4 image
// from it with mkfs.ext4 -d (no loop device, no mount).
func (b *builder) buildDisk(ctx context.Context, in diskInputs, dir string) error {
	_, err := buildStage(dir, func(tmp string) error {
		root := filepath.Join(tmp, "rootfs")
		if err := command.New("cp", "-a", in.rootfs, root).LowPriority(b.LowPriority).Run(ctx); err != nil {
			return fmt.Errorf("copying the rootfs: %w", err)
		}
		if err := b.populate(ctx, root, in); err != nil {
			return err
		}
		img := filepath.Join(tmp, "base.img")
		mkfs := command.New("mkfs.ext4", "-q", "-F", "-L", "edgeproof-root", "-d", root, img, in.size).LowPriority(b.LowPriority)
		if err := mkfs.Run(ctx); err != nil {
			return fmt.Errorf("making the ext4 image: %w", err)
		}
		if err := os.RemoveAll(root); err != nil {
			return fmt.Errorf("removing the scratch rootfs: %w", err)
		}
		for _, f := range []string{"vmlinuz", "initrd.img"} {
			if err := copyFile(filepath.Join(in.kernelDir, f), filepath.Join(tmp, f)); err != nil {
				return err
			}
		}
		d := Disk{KernelRelease: in.kernel.Release, KubernetesVersion: in.bins.Version, PauseImage: in.bins.PauseImage, KubeProxyImage: in.bins.KubeProxyImage}
		return writeJSON(filepath.Join(tmp, manifest), d)
	})
	return err
}

// populate adds everything but Debian's packages to the scratch rootfs.
func (b *builder) populate(ctx context.Context, root string, in diskInputs) error {
	modules, err := nodeimage.InRoot(root, "/lib/modules")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(modules, 0o755); err != nil {
		return err
	}
	if err := command.New("cp", "-a", filepath.Join(in.kernelDir, "modules"), filepath.Join(modules, in.kernel.Release)).Run(ctx); err != nil {
		return fmt.Errorf("adding kernel modules: %w", err)
	}
	ctrRoot, err := nodeimage.InRoot(root, "/var/lib/containerd")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(ctrRoot, 0o711); err != nil {
		return err
	}
	if err := command.New("cp", "-a", filepath.Join(in.imagesDir, "containerd")+"/.", ctrRoot).Run(ctx); err != nil {
		return fmt.Errorf("adding preloaded images: %w", err)
	}
	for _, bin := range [][2]string{{in.bins.Kubelet, "/usr/bin/kubelet"}, {in.bins.Kubeadm, "/usr/bin/kubeadm"}, {in.bins.Crictl, "/usr/local/bin/crictl"}, {in.bins.Agent, "/usr/local/lib/edgeproof/vmagent"}} {
		data, err := os.ReadFile(bin[0])
		if err != nil {
			return fmt.Errorf("adding %s: %w", bin[1], err)
		}
		if err := writeInRoot(root, bin[1], data, 0o755); err != nil {
			return err
		}
	}
	files, err := guestFiles(in.guestData())
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := writeInRoot(root, f.Path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	extra := []guestFile{
		// Empty: systemd takes the machine ID from the kernel command
		// line (one per VM) instead of the one debootstrap made.
		{Path: "/etc/machine-id", Mode: 0o444},
		// debootstrap copied the build host's; the VM gets its
		// resolver from DHCP or the fw_cfg env.
		{Path: "/etc/resolv.conf", Mode: 0o644},
		{Path: "/etc/hostname", Data: []byte("edgeproof-arm64\n"), Mode: 0o644},
		{Path: "/etc/hosts", Data: []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"), Mode: 0o644},
	}
	for _, f := range extra {
		if err := writeInRoot(root, f.Path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	// Tools that expect the upstream CNI path find Debian's plugins.
	if err := symlinkInRoot(root, "/opt/cni/bin", "/usr/lib/cni"); err != nil {
		return err
	}
	for _, d := range []string{"/var/lib/cni", "/etc/cni/net.d", "/var/lib/kubelet", "/etc/kubernetes/manifests"} {
		p, err := nodeimage.InRoot(root, d)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	// The guest's own systemctl (arm64, through qemu-user) knows its
	// units' [Install] sections and Also= lines.
	args := append([]string{root, "systemctl", "enable", "--quiet"}, guestUnits...)
	if err := command.New("chroot", args...).LowPriority(b.LowPriority).Run(ctx); err != nil {
		return fmt.Errorf("enabling the guest's units: %w", err)
	}
	return nil
}

// copyFile copies src to dst, hard-linking when both are on one
// filesystem (cache files are never written in place).
func copyFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}
