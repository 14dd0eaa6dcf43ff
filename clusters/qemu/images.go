package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/oci"
)

// diskCNIImage is the reference of the arm64 edgeproof-cni on the disk.
// The cluster's DaemonSet names the image by its host build's digest; the
// guest tags this one with that reference when it joins.
const diskCNIImage = "edgeproof.local/edgeproof-cni:disk-" + Arch

// imagesKey identifies the preloaded images: the pause and CNI programs'
// content (built from the checkout, so not at content-keyed paths), kube-proxy's
// content-keyed path, the references, and the rootfs kube-proxy's
// iptables and libraries come from.
func imagesKey(rootfsKey string, bins k8sBinaries) (string, error) {
	h := cache.NewHasher().String("rootfs", rootfsKey).String("kube-proxy", bins.KubeProxy).
		String("refs", bins.PauseImage, bins.KubeProxyImage)
	for _, f := range []string{bins.Pause, bins.CNI} {
		if err := h.File(f); err != nil {
			return "", err
		}
	}
	return h.Sum(16), nil
}

// buildImages builds the arm64 pause, kube-proxy and CNI images and imports
// them into a containerd root (content store and metadata) that the disk
// stage copies to /var/lib/containerd: importing on the host takes well
// under a second, against several seconds in each VM under emulation.
func (b *builder) buildImages(ctx context.Context, rootfs string, bins k8sBinaries, dir string) error {
	_, err := buildStage(dir, func(tmp string) error {
		pause, err := nodeimage.PauseImage(bins.Pause, Arch)
		if err != nil {
			return err
		}
		proxy, err := nodeimage.KubeProxyImage(ctx, rootfs, bins.KubeProxy, Arch)
		if err != nil {
			return fmt.Errorf("arm64 kube-proxy image: %w", err)
		}
		cni, err := nodeimage.CNIImage(bins.CNI, Arch)
		if err != nil {
			return err
		}
		archive := filepath.Join(tmp, "images.tar")
		if err := oci.WriteArchive(archive, map[string]v1.Image{bins.PauseImage: pause, bins.KubeProxyImage: proxy, diskCNIImage: cni}); err != nil {
			return err
		}
		root := filepath.Join(tmp, "containerd")
		if err := preload(ctx, archive, root, []string{bins.PauseImage, bins.KubeProxyImage, diskCNIImage}); err != nil {
			return err
		}
		if err := keepOnly(root, preloadKeep); err != nil {
			return err
		}
		return os.Remove(archive)
	})
	return err
}

// containerdConfig runs a private containerd on the host: its own root,
// state, sockets and opt dir, the CRI plugin off. It never touches the
// host's containerd (Docker's, which runs the kind clusters).
func containerdConfig(root, run string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, root, filepath.Join(run, "state"), filepath.Join(run, "c.sock"), filepath.Join(run, "c.sock.ttrpc"), filepath.Join(run, "opt"))
}

// preload imports archive's images into the containerd root dir, without
// unpacking (the guest's containerd unpacks for its own snapshotter), and
// pins them so kubelet's image GC never removes them.
func preload(ctx context.Context, archive, root string, refs []string) error {
	// A short path: unix socket paths are limited to 108 bytes.
	run, err := os.MkdirTemp("", "edgeproof-ctrd-")
	if err != nil {
		return fmt.Errorf("preloading images: %w", err)
	}
	defer os.RemoveAll(run)
	cfg := filepath.Join(run, "config.toml")
	if err := os.WriteFile(cfg, []byte(containerdConfig(root, run)), 0o644); err != nil {
		return fmt.Errorf("preloading images: %w", err)
	}
	logf, err := os.Create(filepath.Join(run, "containerd.log"))
	if err != nil {
		return fmt.Errorf("preloading images: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("containerd", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting a private containerd to preload images: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	sock := filepath.Join(run, "c.sock")
	ctr := func(args ...string) *command.Cmd {
		return command.New("ctr", append([]string{"--address", sock, "--namespace", "k8s.io"}, args...)...)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ctr("version").Run(ctx) != nil {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("private containerd exited (%v): %s", err, tailFile(logf.Name()))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("private containerd did not answer within 30s: %s", tailFile(logf.Name()))
		}
	}
	if err := ctr("images", "import", "--all-platforms", "--no-unpack", archive).Run(ctx); err != nil {
		return fmt.Errorf("importing images: %w", err)
	}
	for _, ref := range refs {
		if err := ctr("images", "label", ref, "io.cri-containerd.pinned=pinned").Run(ctx); err != nil {
			return fmt.Errorf("pinning %s: %w", ref, err)
		}
	}
	return nil
}

// preloadKeep is what the guest's containerd needs of the preload: the
// content store and the metadata that names the images. The rest (empty
// snapshotter dirs, the host instance's introspection UUID) is its own.
var preloadKeep = []string{"io.containerd.content.v1.content", "io.containerd.metadata.v1.bolt"}

// keepOnly removes every entry of dir not named in keep.
func keepOnly(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("tidying %s: %w", dir, err)
	}
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("tidying %s: %w", dir, err)
			}
		}
	}
	return nil
}

// tailFile returns the last lines of a log, for errors.
func tailFile(path string) string {
	raw, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}
