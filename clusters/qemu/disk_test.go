package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
)

func testBins(t *testing.T) k8sBinaries {
	t.Helper()
	dir := t.TempDir()
	pause, cni := filepath.Join(dir, "edgeproof-pause"), filepath.Join(dir, "edgeproof-cni")
	if err := os.WriteFile(pause, []byte("pause v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cni, []byte("cni v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	agent := filepath.Join(dir, "edgeproof-vmagent")
	if err := os.WriteFile(agent, []byte("agent v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	return k8sBinaries{Version: "v1.34.4", Kubelet: "/c/kubelet-a", Kubeadm: "/c/kubeadm-a", KubeProxy: "/c/kube-proxy-a", Crictl: "/c/crictl-a",
		Pause: pause, CNI: cni, Agent: agent, PauseImage: "registry.k8s.io/pause:3.10.1", KubeProxyImage: "registry.k8s.io/kube-proxy:v1.34.4"}
}

// Each stage's key moves with its own inputs only, so a new kubelet does
// not redo debootstrap or the kernel, and a new pause program only redoes
// the images and the disk.
func TestStageKeysAreIncremental(t *testing.T) {
	rootfsKey := nodeimage.RootfsKey(nodeimage.RootfsOptions{Arch: Arch, Extra: rootfsExtra})
	if rootfsKey == nodeimage.RootfsKey(nodeimage.RootfsOptions{Arch: Arch}) {
		t.Fatal("extra packages must change the rootfs key")
	}
	if nodeimage.RootfsKey(nodeimage.RootfsOptions{Arch: "amd64"}) != nodeimage.RootfsKey(nodeimage.RootfsOptions{Arch: "amd64", Extra: []string{}}) {
		t.Fatal("no extra packages must keep the kind node rootfs key")
	}
	if kernelKey(rootfsKey) != kernelKey(rootfsKey) || kernelKey(rootfsKey) == kernelKey("other") {
		t.Fatal("kernel key must be a function of the rootfs key")
	}

	bins := testBins(t)
	images, err := imagesKey(rootfsKey, bins)
	if err != nil {
		t.Fatal(err)
	}
	newKubelet := bins
	newKubelet.Kubelet = "/c/kubelet-b"
	if k, _ := imagesKey(rootfsKey, newKubelet); k != images {
		t.Error("a new kubelet must not rebuild the images")
	}
	if err := os.WriteFile(bins.Pause, []byte("pause v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if k, _ := imagesKey(rootfsKey, bins); k == images {
		t.Error("a new pause program must rebuild the images")
	}
	images, _ = imagesKey(rootfsKey, bins)
	if err := os.WriteFile(bins.CNI, []byte("cni v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if k, _ := imagesKey(rootfsKey, bins); k == images {
		t.Error("a new CNI agent must rebuild the images")
	}

	base := diskInputs{rootfsKey: rootfsKey, kernelDir: "/q/kernel-1", imagesDir: "/q/images-1", bins: bins, size: "3G"}
	key, err := base.key()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := base.key(); again != key {
		t.Fatal("disk key is not stable")
	}
	if err := os.WriteFile(bins.Agent, []byte("agent v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if k, _ := base.key(); k == key {
		t.Error("a new VM agent must change the disk key")
	}
	key, _ = base.key()
	for name, change := range map[string]func(*diskInputs){
		"kernel":  func(in *diskInputs) { in.kernelDir = "/q/kernel-2" },
		"images":  func(in *diskInputs) { in.imagesDir = "/q/images-2" },
		"kubelet": func(in *diskInputs) { in.bins.Kubelet = "/c/kubelet-b" },
		"kubeadm": func(in *diskInputs) { in.bins.Kubeadm = "/c/kubeadm-b" },
		"crictl":  func(in *diskInputs) { in.bins.Crictl = "/c/crictl-b" },
		"size":    func(in *diskInputs) { in.size = "4G" },
		"pause":   func(in *diskInputs) { in.bins.PauseImage = "registry.k8s.io/pause:3.11" },
		"version": func(in *diskInputs) { in.bins.Version = "v1.34.5" },
	} {
		in := base
		change(&in)
		if k, _ := in.key(); k == key {
			t.Errorf("changing the %s must change the disk key", name)
		}
	}
}

func TestGuestFilesRender(t *testing.T) {
	files, err := guestFiles(guestData{KubernetesVersion: "v1.34.4", PauseImage: "registry.k8s.io/pause:3.10.1", KubeProxyImage: "registry.k8s.io/kube-proxy:v1.34.4", CNIImage: diskCNIImage})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]guestFile{}
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".tmpl") || !strings.HasPrefix(f.Path, "/") {
			t.Errorf("guest file path %q", f.Path)
		}
		byPath[f.Path] = f
	}
	if f := byPath["/etc/containerd/config.toml"]; !strings.Contains(string(f.Data), `sandbox_image = "registry.k8s.io/pause:3.10.1"`) {
		t.Errorf("containerd config does not name the pause image:\n%s", f.Data)
	}
	if f := byPath["/etc/edgeproof/disk.env"]; !strings.Contains(string(f.Data), "KUBERNETES_VERSION='v1.34.4'") {
		t.Errorf("disk.env:\n%s", f.Data)
	}
	if f := byPath["/etc/edgeproof/disk.env"]; !strings.Contains(string(f.Data), "DISK_CNI_IMAGE='"+diskCNIImage+"'") {
		t.Errorf("disk.env does not name the disk's CNI image:\n%s", f.Data)
	}
	for _, p := range []string{"/usr/local/lib/edgeproof/env", "/usr/local/lib/edgeproof/selftest", "/usr/local/lib/edgeproof/join", "/usr/local/lib/edgeproof/kubelet-cgroups"} {
		f, ok := byPath[p]
		if !ok || f.Mode != 0o755 || !strings.HasPrefix(string(f.Data), "#!/bin/sh\n") {
			t.Errorf("%s: present=%v mode=%o", p, ok, f.Mode)
		}
	}
	for _, u := range guestUnits {
		if strings.HasPrefix(u, "edgeproof-") || u == "kubelet.service" {
			if _, ok := byPath["/etc/systemd/system/"+u]; !ok {
				t.Errorf("enabled unit %s is not among the guest files", u)
			}
		}
	}
	network := string(byPath["/etc/systemd/network/10-eth0.network"].Data)
	if !strings.Contains(network, "Name=eth0") || !strings.Contains(network, "IgnoreCarrierLoss=yes") {
		t.Errorf("eth0 network:\n%s", network)
	}
	if !strings.Contains(string(byPath["/etc/systemd/networkd.conf.d/10-edgeproof.conf"].Data), "ManageForeignRoutes=no") {
		t.Error("networkd must leave foreign routes alone")
	}
	if !strings.Contains(string(byPath["/etc/fstab"].Data), "/var/lib/cni\ttmpfs") {
		t.Error("/var/lib/cni must be a tmpfs")
	}
}
