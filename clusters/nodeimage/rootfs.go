package nodeimage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
)

// debianSuite is the Debian release node images are made from.
const debianSuite = DebianSuite

// DebianSuite is the Debian release node rootfs trees are made from.
const DebianSuite = "bookworm"

// nodePackages is what a kind node needs beyond minbase: systemd as init,
// Debian's containerd, runc and CNI plugins, and the network tools that
// kube-proxy, kubelet and the fault injectors call.
var nodePackages = []string{
	"systemd", "systemd-sysv", "dbus", "conntrack", "iptables", "nftables", "iproute2",
	"ethtool", "util-linux", "mount", "kmod", "libseccomp2", "pigz", "bash", "ca-certificates",
	"jq", "procps", "containerd", "runc", "containernetworking-plugins", "socat", "ebtables",
	"iputils-ping",
}

// EnvMirror overrides the Debian mirror that debootstrap uses.
const EnvMirror = "EDGEPROOF_DEBIAN_MIRROR"

// debianMirror finds the mirror apt already uses on this host, so that no
// mirror is written into the code.
func debianMirror() (string, error) {
	if m := os.Getenv(EnvMirror); m != "" {
		return m, nil
	}
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		if m := mirrorFromDeb822(f); m != "" {
			return m, nil
		}
	}
	if m := mirrorFromList("/etc/apt/sources.list"); m != "" {
		return m, nil
	}
	return "", fmt.Errorf("no Debian mirror found in /etc/apt; set %s", EnvMirror)
}

// mirrorFromDeb822 reads URIs of a stanza serving the node suite's main.
func mirrorFromDeb822(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, stanza := range strings.Split(string(raw), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
				fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		if containsWord(fields["Suites"], debianSuite) && containsWord(fields["Components"], "main") {
			if uris := strings.Fields(fields["URIs"]); len(uris) > 0 {
				return uris[0]
			}
		}
	}
	return ""
}

func mirrorFromList(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		// deb [opts] URI SUITE COMPONENTS...
		if len(fs) >= 4 && fs[0] == "deb" {
			i := 1
			if strings.HasPrefix(fs[i], "[") {
				for i < len(fs) && !strings.HasSuffix(fs[i], "]") {
					i++
				}
				i++
			}
			if i+1 < len(fs) && fs[i+1] == debianSuite {
				return fs[i]
			}
		}
	}
	return ""
}

func containsWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// rootfsKey identifies a debootstrap result; the mirror is left out on
// purpose, since any mirror of the suite gives the same packages. Extra
// packages enter the key only when there are some, so the kind node
// rootfs keeps the key it always had.
func rootfsKey(arch string, extra []string) string {
	h := cache.NewHasher().String("suite", debianSuite).String("arch", arch).
		String("variant", "minbase").String("pkg", nodePackages...)
	if len(extra) > 0 {
		h.String("extra", extra...)
	}
	return h.Sum(16)
}

// RootfsOptions tune BuildRootfs.
type RootfsOptions struct {
	// Arch is the Debian/Go architecture (amd64, arm64). A foreign one
	// needs qemu-user registered with binfmt_misc.
	Arch string
	// Extra packages beyond the kind node's.
	Extra []string
	// Log receives debootstrap's output (may be nil).
	Log io.Writer
	// LowPriority runs debootstrap niced.
	LowPriority bool
}

// RootfsKey is the cache key of the rootfs BuildRootfs makes for opts.
func RootfsKey(opts RootfsOptions) string { return rootfsKey(opts.Arch, opts.Extra) }

// BuildRootfs debootstraps a node rootfs (the kind node's packages plus
// opts.Extra) into the cache, once per key, and returns its path. Callers
// must treat it as read-only: it is shared by every build with that key.
// It works in a scratch folder and renames at the end, so an interrupted
// run never leaves a half-made rootfs that a later run would trust.
func BuildRootfs(ctx context.Context, opts RootfsOptions) (string, error) {
	arch, log := opts.Arch, opts.Log
	root, err := cache.Dir("rootfs")
	if err != nil {
		return "", err
	}
	dst := filepath.Join(root, debianSuite+"-"+arch+"-"+rootfsKey(arch, opts.Extra))
	if _, err := os.Stat(filepath.Join(dst, "etc", "debian_version")); err == nil {
		return dst, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("building a node rootfs needs root (debootstrap)")
	}
	if _, err := os.Stat("/usr/sbin/debootstrap"); err != nil {
		install := command.New("apt-get", "install", "-y", "-qq", "debootstrap").Env("DEBIAN_FRONTEND=noninteractive")
		if install.Run(ctx) != nil {
			// A fresh machine may have no package lists yet.
			if err := command.New("apt-get", "update", "-qq").Run(ctx); err != nil {
				return "", fmt.Errorf("apt-get update (to install debootstrap): %w", err)
			}
			if err := install.Run(ctx); err != nil {
				return "", fmt.Errorf("installing debootstrap: %w", err)
			}
		}
	}
	mirror, err := debianMirror()
	if err != nil {
		return "", err
	}
	tmp := dst + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("clearing %s: %w", tmp, err)
	}
	pkgs := append(append([]string(nil), nodePackages...), opts.Extra...)
	cmd := command.New("debootstrap", "--variant=minbase", "--arch="+arch,
		"--include="+strings.Join(pkgs, ","), debianSuite, tmp, mirror).LowPriority(opts.LowPriority)
	if log != nil {
		cmd.Tee(log)
	}
	if err := cmd.Run(ctx); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("debootstrap %s/%s: %w", debianSuite, arch, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", fmt.Errorf("moving rootfs into place: %w", err)
	}
	return dst, nil
}
