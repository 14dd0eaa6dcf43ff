package nodeimage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/oci"
)

const imagePath = "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"

// binaryImage is a static binary alone in an image, as upstream ships the
// control-plane components.
func binaryImage(bin, inImage, arch string) (v1.Image, error) {
	img, err := oci.Image([]oci.File{{Path: inImage, Src: bin, Mode: 0o755}},
		oci.Config{Entrypoint: []string{inImage}, Env: []string{imagePath}, Arch: arch})
	if err != nil {
		return nil, fmt.Errorf("image for %s: %w", filepath.Base(inImage), err)
	}
	return img, nil
}

// multiarchTriplet is Debian's library folder name for an architecture.
func multiarchTriplet(arch string) (string, error) {
	switch arch {
	case "amd64":
		return "x86_64-linux-gnu", nil
	case "arm64":
		return "aarch64-linux-gnu", nil
	}
	return "", fmt.Errorf("no Debian multiarch triplet known for %q", arch)
}

// kubeProxyImage puts kube-proxy beside the iptables/nft tools it execs,
// copied with every shared library from the node rootfs. xtables loads its
// match and target extensions with dlopen, so those and their libraries
// (libxt_statistic needs libm) are copied too.
func kubeProxyImage(ctx context.Context, rootfs, kubeProxy, arch string) (v1.Image, error) {
	triplet, err := multiarchTriplet(arch)
	if err != nil {
		return nil, err
	}
	tools := []string{"/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-legacy-multi", "/usr/sbin/conntrack", "/usr/sbin/nft"}
	extDir := "/usr/lib/" + triplet + "/xtables"
	exts, err := filepath.Glob(filepath.Join(rootfs, extDir, "*.so"))
	if err != nil {
		return nil, err
	}
	elfs := append([]string(nil), tools...)
	for _, e := range exts {
		elfs = append(elfs, strings.TrimPrefix(e, rootfs))
	}
	libs := map[string]bool{}
	for _, e := range elfs {
		deps, err := sharedLibs(ctx, rootfs, e)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			libs[d] = true
		}
	}
	files := []oci.File{{Path: "/usr/local/bin/kube-proxy", Src: kubeProxy, Mode: 0o755}}
	add := func(p string, mode int64) error {
		src, err := resolveIn(rootfs, p)
		if err != nil {
			return err
		}
		files = append(files, oci.File{Path: p, Src: src, Mode: mode})
		return nil
	}
	for _, t := range tools {
		if err := add(t, 0o755); err != nil {
			return nil, err
		}
	}
	for _, e := range elfs[len(tools):] {
		if err := add(e, 0o644); err != nil {
			return nil, err
		}
	}
	for l := range libs {
		if err := add(l, 0o755); err != nil {
			return nil, err
		}
	}
	for _, n := range []string{"iptables", "ip6tables"} {
		for _, s := range []string{"", "-save", "-restore"} {
			files = append(files,
				oci.File{Path: "/usr/sbin/" + n + s, Link: "xtables-nft-multi"},
				oci.File{Path: "/usr/sbin/" + n + "-nft" + s, Link: "xtables-nft-multi"},
				oci.File{Path: "/usr/sbin/" + n + "-legacy" + s, Link: "xtables-legacy-multi"})
		}
	}
	for _, d := range []string{"/tmp/.keep", "/run/.keep", "/var/run/.keep", "/etc/.keep"} {
		files = append(files, oci.File{Path: d, Data: nil})
	}
	return oci.Image(files, oci.Config{Env: []string{imagePath}, Arch: arch})
}

// sharedLibs lists the libraries an ELF file in rootfs loads, by asking the
// rootfs's own ldd (so the libraries match the rootfs, not the host).
func sharedLibs(ctx context.Context, rootfs, elf string) ([]string, error) {
	out, err := command.New("chroot", rootfs, "/usr/bin/ldd", elf).Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing libraries of %s: %w", elf, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
				break
			}
		}
	}
	return libs, nil
}
