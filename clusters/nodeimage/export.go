package nodeimage

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/gobuild"
)

// What other node providers (the QEMU arm64 disk) share with the kind node
// image, so both run the same Kubernetes build and the same pod images.

// KubernetesModule returns the generated module Kubernetes version is
// built from (the kind node image's, so the Go caches are shared).
func KubernetesModule(ctx context.Context, version string) (gobuild.Module, error) {
	return kubernetesModule(ctx, version)
}

// KubernetesLDFlags stamps version into Kubernetes binaries as the node
// image does; kubeadm picks image tags from it.
func KubernetesLDFlags(version string) []string { return kubernetesLDFlags(version) }

// KubeadmImages asks kubeadm (a binary that runs on this host) for the
// pause and kube-proxy image references it expects at version: the kind
// node's containerd config names the same pause image.
func KubeadmImages(ctx context.Context, kubeadm, version string) (pause, proxy string, err error) {
	out, err := command.New(kubeadm, "config", "images", "list", "--kubernetes-version", version).Output(ctx)
	if err != nil {
		return "", "", fmt.Errorf("asking kubeadm %s for its images: %w", version, err)
	}
	s, err := parseImageList(string(out))
	if err != nil {
		return "", "", err
	}
	return s.Pause, s.Proxy, nil
}

// PauseImage packs the edgeproof-pause binary (built for arch) as the pod
// sandbox image, as the node image does.
func PauseImage(bin, arch string) (v1.Image, error) { return binaryImage(bin, "/pause", arch) }

// CNIImage packs edgeproof-cni (built for arch) as the node image does.
func CNIImage(bin, arch string) (v1.Image, error) { return binaryImage(bin, "/edgeproof-cni", arch) }

// KubeProxyImage packs kube-proxy (built for arch) with iptables, nft and
// conntrack and their libraries taken from rootfs, a Debian tree of the
// same arch (for a foreign arch, ldd runs through qemu-user).
func KubeProxyImage(ctx context.Context, rootfs, kubeProxy, arch string) (v1.Image, error) {
	return kubeProxyImage(ctx, rootfs, kubeProxy, arch)
}
