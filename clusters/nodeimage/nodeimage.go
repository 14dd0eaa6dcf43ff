// Package nodeimage builds kind node images offline: Kubernetes, etcd,
// CoreDNS, crictl and metrics-server from the Go module proxy, the node's
// userland from Debian packages, and every control-plane image assembled
// locally, so no registry is ever contacted. Each step is cached by a hash
// of its inputs; a second build with the same inputs takes seconds.
package nodeimage

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"text/template"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/gobuild"
	"github.com/edgeproof/edgeproof/internal/oci"
	"github.com/edgeproof/edgeproof/internal/progress"
)

// DefaultKubernetesVersion is the version built when none is asked for.
const DefaultKubernetesVersion = "v1.34.4"

// Repository is where built node images are tagged.
const Repository = "edgeproof/node"

//go:embed assets
var assets embed.FS

// Options control a build.
type Options struct {
	// KubernetesVersion, e.g. v1.34.4.
	KubernetesVersion string
	// RepoRoot is the edgeproof checkout (its cmd/edgeproof-cni and
	// cmd/edgeproof-pause are built into the image).
	RepoRoot string
	// Printer shows progress; nil prints nothing.
	Printer *progress.Printer
	// Verbose streams the output of long commands (go build, debootstrap).
	Verbose bool
}

// Result describes a built image.
type Result struct {
	// Image is the node image reference, e.g. edgeproof/node:v1.34.4-ab12...
	Image string
	// Cached is true when the image existed and nothing was built.
	Cached bool
}

type builder struct {
	Options
	arch string
	p    *progress.Printer
	gb   *gobuild.Builder
	log  io.Writer
}

// Build builds (or finds) the node image for opts.
func Build(ctx context.Context, opts Options) (Result, error) {
	if opts.KubernetesVersion == "" {
		opts.KubernetesVersion = DefaultKubernetesVersion
	}
	b := &builder{Options: opts, arch: runtime.GOARCH, p: opts.Printer}
	if b.p == nil {
		b.p = progress.Discard()
	}
	if opts.Verbose {
		b.log = b.p.Writer()
	}
	b.gb = &gobuild.Builder{RepoRoot: opts.RepoRoot, Log: b.log}
	return b.build(ctx)
}

// bins are the binaries a node image is made of.
type bins struct {
	k8s                                       map[string]string
	etcd, coredns, crictl, metricsServer, cni string
	pause                                     string
}

func (b *builder) build(ctx context.Context) (Result, error) {
	v := b.KubernetesVersion
	b.p.Infof("Building node image for Kubernetes %s (%s)", v, b.arch)
	var bs bins
	bs.k8s = map[string]string{}

	var km gobuild.Module
	if err := b.p.Step("resolving k8s.io/kubernetes "+v, func() (err error) {
		km, err = kubernetesModule(ctx, v)
		return err
	}); err != nil {
		return Result{}, err
	}
	for _, c := range kubernetesCommands {
		c := c
		if err := b.p.Step("building "+c, func() (err error) {
			bs.k8s[c], err = b.gb.BuildFromModule(ctx, km, gobuild.Program{Name: c, Package: "k8s.io/kubernetes/cmd/" + c, LDFlags: kubernetesLDFlags(v)})
			return err
		}); err != nil {
			return Result{}, err
		}
	}
	var imgs imageSet
	if err := b.p.Step("asking kubeadm which images it needs", func() error {
		out, err := command.New(bs.k8s["kubeadm"], "config", "images", "list", "--kubernetes-version", v).Output(ctx)
		if err != nil {
			return err
		}
		imgs, err = parseImageList(string(out))
		return err
	}); err != nil {
		return Result{}, err
	}
	third := []struct {
		name string
		m    gobuild.Module
		pkg  string
		out  *string
	}{
		{"etcd", etcdModule(etcdVersion(tagOf(imgs.Etcd))), ".", &bs.etcd},
		{"coredns", corednsModule(tagOf(imgs.CoreDNS)), ".", &bs.coredns},
		{"crictl", CrictlModule(v), CrictlPackage, &bs.crictl},
		{"metrics-server", metricsServerModule(MetricsServerVersion), "sigs.k8s.io/metrics-server/cmd/metrics-server", &bs.metricsServer},
	}
	for _, t := range third {
		t := t
		if err := b.p.Step("building "+t.name+" ("+strings.TrimPrefix(t.m.Name, t.name+"-")+")", func() (err error) {
			*t.out, err = b.gb.BuildFromModule(ctx, t.m, gobuild.Program{Name: t.name, Package: t.pkg})
			return err
		}); err != nil {
			return Result{}, err
		}
	}
	for name, out := range map[string]*string{"edgeproof-cni": &bs.cni, "edgeproof-pause": &bs.pause} {
		name, out := name, out
		if err := b.p.Step("building "+name, func() (err error) {
			*out, err = b.gb.BuildOwn(ctx, gobuild.Program{Name: name, Package: "./cmd/" + name})
			return err
		}); err != nil {
			return Result{}, err
		}
	}

	var rootfs string
	if err := b.p.Step("debootstrap "+debianSuite+" node rootfs", func() (err error) {
		rootfs, err = BuildRootfs(ctx, RootfsOptions{Arch: b.arch, Log: b.log})
		return err
	}); err != nil {
		return Result{}, err
	}
	var base string
	if err := b.p.Step("node base image", func() (err error) {
		base, err = b.buildBase(ctx, rootfs, imgs.Pause)
		return err
	}); err != nil {
		return Result{}, err
	}
	var archive, cniImage string
	if err := b.p.Step("component images", func() (err error) {
		archive, cniImage, err = b.buildImages(ctx, rootfs, imgs, bs)
		return err
	}); err != nil {
		return Result{}, err
	}
	var res Result
	if err := b.p.Step("node image", func() (err error) {
		res, err = b.buildNode(ctx, base, archive, cniImage, bs)
		return err
	}); err != nil {
		return Result{}, err
	}
	b.p.Infof("Node image: %s", res.Image)
	return res, nil
}

// kindBaseFiles locates kind's node base files (entrypoint, systemd units,
// helper scripts) in the module cache, for the kind version linked in.
func kindBaseFiles(ctx context.Context) (string, error) {
	version := "v0.33.0"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "sigs.k8s.io/kind" {
				version = d.Version
			}
		}
	}
	mod, err := gobuild.Download(ctx, "sigs.k8s.io/kind@"+version)
	if err != nil {
		return "", fmt.Errorf("fetching kind %s sources for its base files: %w", version, err)
	}
	return filepath.Join(mod.Dir, "images", "base", "files"), nil
}

func imageExists(ctx context.Context, ref string) bool {
	return command.New("docker", "image", "inspect", "--format", "{{.Id}}", ref).Run(ctx) == nil
}

func imageID(ctx context.Context, ref string) (string, error) {
	out, err := command.New("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output(ctx)
	return strings.TrimSpace(string(out)), err
}

func render(name string, data any) ([]byte, error) {
	raw, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return out.Bytes(), nil
}

// buildBase makes the node's base image: the Debian rootfs imported into
// Docker, plus kind's base files and our containerd config.
func (b *builder) buildBase(ctx context.Context, rootfs, pauseImage string) (string, error) {
	kindFiles, err := kindBaseFiles(ctx)
	if err != nil {
		return "", err
	}
	toml, err := render("containerd.toml", map[string]string{"PauseImage": pauseImage})
	if err != nil {
		return "", err
	}
	script, _ := assets.ReadFile("assets/customize.sh")
	h := cache.NewHasher().String("rootfs", filepath.Base(rootfs)).String("toml", string(toml)).String("script", string(script))
	if err := h.Tree(kindFiles); err != nil {
		return "", err
	}
	tag := Repository + "-base:" + debianSuite + "-" + h.Sum(16)
	if imageExists(ctx, tag) {
		return tag, nil
	}
	rootfsImage := "edgeproof/rootfs:" + filepath.Base(rootfs)
	if !imageExists(ctx, rootfsImage) {
		tarCmd := fmt.Sprintf("tar --numeric-owner -C %q -c . | docker import - %q", rootfs, rootfsImage)
		if err := command.New("bash", "-o", "pipefail", "-c", tarCmd).Run(ctx); err != nil {
			return "", fmt.Errorf("importing rootfs: %w", err)
		}
	}
	dir, err := cache.Dir("context", "base-"+h.Sum(16))
	if err != nil {
		return "", err
	}
	if err := copyKindFiles(kindFiles, filepath.Join(dir, "files")); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "etc", "containerd", "config.toml"), toml, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "customize.sh"), script, 0o755); err != nil {
		return "", err
	}
	dockerfile := "FROM " + rootfsImage + "\n" +
		"COPY files/ /\n" +
		"COPY customize.sh /kind/customize.sh\n" +
		"RUN /kind/customize.sh && rm /kind/customize.sh\n" +
		"ENV container=docker\n" +
		// systemd as PID 1 shuts down cleanly only on SIGRTMIN+3.
		"STOPSIGNAL SIGRTMIN+3\n" +
		"ENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	cmd := command.New("docker", "build", "-t", tag, dir)
	if b.log != nil {
		cmd.Tee(b.log)
	}
	if err := cmd.Run(ctx); err != nil {
		return "", fmt.Errorf("building base image: %w", err)
	}
	return tag, nil
}

// copyKindFiles copies kind's base files with the modes kind's Dockerfile
// gives them (the module cache stores everything read-only, non-executable).
func copyKindFiles(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(rel, "usr/local/bin/") || strings.HasPrefix(rel, "kind/bin/") {
			mode = 0o755
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, mode)
	})
}

// buildImages writes every image the node preloads into one archive.
func (b *builder) buildImages(ctx context.Context, rootfs string, imgs imageSet, bs bins) (string, string, error) {
	cniImg, err := CNIImage(bs.cni, b.arch)
	if err != nil {
		return "", "", err
	}
	cniTag, err := oci.ShortDigest(cniImg)
	if err != nil {
		return "", "", err
	}
	pauseImg, err := binaryImage(bs.pause, "/pause", b.arch)
	if err != nil {
		return "", "", err
	}
	pauseTag, err := oci.ShortDigest(pauseImg)
	if err != nil {
		return "", "", err
	}
	cniRef := "edgeproof.local/edgeproof-cni:" + cniTag
	// Third-party binaries sit at content-keyed paths, so their paths are
	// their identity; the two own images are identified by digest.
	h := cache.NewHasher().String("rootfs", filepath.Base(rootfs)).String("own", cniTag, pauseTag).
		String("bins", bs.etcd, bs.coredns, bs.metricsServer).
		String("images", imgs.APIServer, imgs.ControllerManager, imgs.Scheduler, imgs.Proxy, imgs.CoreDNS, imgs.Pause, imgs.Etcd)
	for _, c := range kubernetesCommands {
		h.String("k8s", bs.k8s[c])
	}
	dir, err := cache.Dir("images")
	if err != nil {
		return "", "", err
	}
	archive := filepath.Join(dir, "node-images-"+h.Sum(16)+".tar")
	if _, err := os.Stat(archive); err == nil {
		return archive, cniRef, nil
	}
	all := map[string]v1.Image{cniRef: cniImg, imgs.Pause: pauseImg}
	for ref, bin := range map[string]struct{ src, path string }{
		imgs.APIServer:         {bs.k8s["kube-apiserver"], "/usr/local/bin/kube-apiserver"},
		imgs.ControllerManager: {bs.k8s["kube-controller-manager"], "/usr/local/bin/kube-controller-manager"},
		imgs.Scheduler:         {bs.k8s["kube-scheduler"], "/usr/local/bin/kube-scheduler"},
		imgs.Etcd:              {bs.etcd, "/usr/local/bin/etcd"},
		imgs.CoreDNS:           {bs.coredns, "/coredns"},
		MetricsServerImage:     {bs.metricsServer, "/metrics-server"},
	} {
		img, err := binaryImage(bin.src, bin.path, b.arch)
		if err != nil {
			return "", "", err
		}
		all[ref] = img
	}
	proxy, err := kubeProxyImage(ctx, rootfs, bs.k8s["kube-proxy"], b.arch)
	if err != nil {
		return "", "", err
	}
	all[imgs.Proxy] = proxy
	if err := oci.WriteArchive(archive, all); err != nil {
		return "", "", err
	}
	return archive, cniRef, nil
}

// MetricsServerImage is the reference metrics-server is preloaded as; the
// upstream name, so upstream manifests work unchanged.
const MetricsServerImage = "registry.k8s.io/metrics-server/metrics-server:" + MetricsServerVersion

// buildNode puts binaries and images into a container of the base image
// and commits it: importing into containerd needs containerd running, which
// a Dockerfile step cannot be relied on for.
func (b *builder) buildNode(ctx context.Context, base, archive, cniRef string, bs bins) (Result, error) {
	cniManifest, err := render("cni.yaml", map[string]string{"Image": cniRef})
	if err != nil {
		return Result{}, err
	}
	baseID, err := imageID(ctx, base)
	if err != nil {
		return Result{}, fmt.Errorf("inspecting %s: %w", base, err)
	}
	importScript, _ := assets.ReadFile("assets/import-images.sh")
	h := cache.NewHasher().String("base", baseID).String("archive", filepath.Base(archive)).
		String("cni", string(cniManifest)).String("crictl", bs.crictl).String("import", string(importScript))
	for _, c := range []string{"kubeadm", "kubelet", "kubectl"} {
		h.String(c, bs.k8s[c])
	}
	tag := Repository + ":" + b.KubernetesVersion + "-" + h.Sum(12)
	if imageExists(ctx, tag) {
		return Result{Image: tag, Cached: true}, nil
	}
	name := "edgeproof-nodeimage-" + h.Sum(8)
	_ = command.New("docker", "rm", "-f", "-v", name).Run(ctx) // a leftover of a killed build
	if err := command.New("docker", "run", "-d", "--name", name, "--entrypoint", "sleep",
		"--security-opt", "seccomp=unconfined", base, "infinity").Run(ctx); err != nil {
		return Result{}, fmt.Errorf("starting build container: %w", err)
	}
	// Always remove the build container, also when the context is
	// cancelled (Ctrl-C): use a fresh context for the cleanup.
	defer func() { _ = command.New("docker", "rm", "-f", "-v", name).Run(context.Background()) }()

	staging, err := os.MkdirTemp("", "edgeproof-node-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(staging)
	write := func(rel string, data []byte, mode os.FileMode) error {
		p := filepath.Join(staging, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, mode)
	}
	if err := write("kind/version", []byte(b.KubernetesVersion), 0o644); err != nil {
		return Result{}, err
	}
	if err := write("kind/manifests/default-cni.yaml", cniManifest, 0o644); err != nil {
		return Result{}, err
	}
	if err := write("kind/import-images.sh", importScript, 0o755); err != nil {
		return Result{}, err
	}
	copies := [][2]string{
		{staging + "/kind/.", "/kind/"},
		{bs.k8s["kubeadm"], "/usr/bin/kubeadm"},
		{bs.k8s["kubelet"], "/usr/bin/kubelet"},
		{bs.k8s["kubectl"], "/usr/bin/kubectl"},
		{bs.crictl, "/usr/local/bin/crictl"},
		{archive, "/kind/images.tar"},
	}
	for _, c := range copies {
		if err := command.New("docker", "cp", c[0], name+":"+c[1]).Run(ctx); err != nil {
			return Result{}, fmt.Errorf("copying %s into the node: %w", filepath.Base(c[0]), err)
		}
	}
	if err := command.New("docker", "exec", name, "sh", "-c",
		"chown root:root /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl /usr/local/bin/crictl && chmod 0755 /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl /usr/local/bin/crictl").Run(ctx); err != nil {
		return Result{}, fmt.Errorf("fixing binary ownership: %w", err)
	}
	cmd := command.New("docker", "exec", name, "/kind/import-images.sh")
	if b.log != nil {
		cmd.Tee(b.log)
	}
	if err := cmd.Run(ctx); err != nil {
		return Result{}, fmt.Errorf("importing images into the node's containerd: %w", err)
	}
	_ = command.New("docker", "exec", name, "rm", "-f", "/kind/import-images.sh").Run(ctx)
	if err := command.New("docker", "commit",
		"--change", `ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]`,
		"--change", `CMD []`,
		"--change", `ENV HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""`,
		name, tag).Run(ctx); err != nil {
		return Result{}, fmt.Errorf("committing node image: %w", err)
	}
	return Result{Image: tag}, nil
}
