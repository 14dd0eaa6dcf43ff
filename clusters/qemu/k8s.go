package qemu

import (
	"context"
	"runtime"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
	"github.com/edgeproof/edgeproof/internal/gobuild"
)

// k8sBinaries are the Go programs on the disk or in its images. Outputs
// of gobuild live at content-keyed paths, so a path is its identity.
type k8sBinaries struct {
	// Version is the Kubernetes version they were built at.
	Version                     string
	Kubelet, Kubeadm, KubeProxy string
	// Crictl is crictl for arm64 (container-kill finds containers with it).
	Crictl string
	// Pause is edgeproof-pause for arm64, the sandbox image's program.
	Pause string
	// CNI is edgeproof-cni for arm64, the pod network agent.
	CNI string
	// Agent is edgeproof-vmagent for arm64, the host's exec channel.
	Agent string
	// PauseImage and KubeProxyImage are the references kubeadm expects.
	PauseImage, KubeProxyImage string
}

// buildBinaries cross-builds kubelet, kubeadm, kube-proxy and crictl for arm64
// from the kind node image's generated Kubernetes module (same sources,
// same version ldflags, shared Go caches) and asks a host kubeadm of the
// same version which pause and kube-proxy images it expects.
func (b *builder) buildBinaries(ctx context.Context) (k8sBinaries, error) {
	v := b.KubernetesVersion
	out := k8sBinaries{Version: v}
	km, err := nodeimage.KubernetesModule(ctx, v)
	if err != nil {
		return out, err
	}
	ld := nodeimage.KubernetesLDFlags(v)
	for _, c := range []struct {
		name string
		arch string
		dst  *string
	}{
		{"kubelet", Arch, &out.Kubelet},
		{"kubeadm", Arch, &out.Kubeadm},
		{"kube-proxy", Arch, &out.KubeProxy},
	} {
		*c.dst, err = b.gb.BuildFromModule(ctx, km, gobuild.Program{Name: c.name, Package: "k8s.io/kubernetes/cmd/" + c.name, LDFlags: ld, Arch: c.arch})
		if err != nil {
			return out, err
		}
	}
	out.Crictl, err = b.gb.BuildFromModule(ctx, nodeimage.CrictlModule(v), gobuild.Program{Name: "crictl", Package: nodeimage.CrictlPackage, Arch: Arch})
	if err != nil {
		return out, err
	}
	// The image list comes from a kubeadm for the host (the kind node
	// image builds the same one), not from the arm64 one under emulation.
	hostKubeadm, err := b.gb.BuildFromModule(ctx, km, gobuild.Program{Name: "kubeadm", Package: "k8s.io/kubernetes/cmd/kubeadm", LDFlags: ld, Arch: runtime.GOARCH})
	if err != nil {
		return out, err
	}
	out.PauseImage, out.KubeProxyImage, err = nodeimage.KubeadmImages(ctx, hostKubeadm, v)
	if err != nil {
		return out, err
	}
	out.Pause, err = b.gb.BuildOwn(ctx, gobuild.Program{Name: "edgeproof-pause", Package: "./cmd/edgeproof-pause", Arch: Arch})
	if err != nil {
		return out, err
	}
	out.CNI, err = b.gb.BuildOwn(ctx, gobuild.Program{Name: "edgeproof-cni", Package: "./cmd/edgeproof-cni", Arch: Arch})
	if err != nil {
		return out, err
	}
	out.Agent, err = b.gb.BuildOwn(ctx, gobuild.Program{Name: "edgeproof-vmagent", Package: "./cmd/edgeproof-vmagent", Arch: Arch})
	return out, err
}
