package nodeimage

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/edgeproof/edgeproof/internal/gobuild"
)

// MetricsServerVersion is the metrics-server release put in every image;
// the scaling objectives read pod CPU through it.
const MetricsServerVersion = "v0.8.0"

var versionRE = regexp.MustCompile(`^v1\.(\d+)\.(\d+)$`)

// kubernetesModule returns the generated module that builds Kubernetes at
// version. k8s.io/kubernetes replaces its staging modules with local paths,
// which a dependent module cannot use; each is pinned to the published
// v0.MINOR.PATCH instead, read from kubernetes' own go.mod.
func kubernetesModule(ctx context.Context, version string) (gobuild.Module, error) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return gobuild.Module{}, fmt.Errorf("kubernetes version %q: want v1.MINOR.PATCH, e.g. v1.34.4", version)
	}
	mod, err := gobuild.Download(ctx, "k8s.io/kubernetes@"+version)
	if err != nil {
		return gobuild.Module{}, fmt.Errorf("unknown Kubernetes version %s (not on the Go module proxy; pick a released v1.x.y): %w", version, err)
	}
	gomod, err := os.ReadFile(mod.GoMod)
	if err != nil {
		return gobuild.Module{}, fmt.Errorf("reading k8s.io/kubernetes %s go.mod: %w", version, err)
	}
	staging := "v0." + m[1] + "." + m[2]
	var replaces []string
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[1] == "=>" && strings.HasPrefix(f[2], "./staging/") {
			replaces = append(replaces, f[0]+" => "+f[0]+" "+staging)
		}
	}
	if len(replaces) == 0 {
		return gobuild.Module{}, fmt.Errorf("k8s.io/kubernetes %s: no staging replaces in its go.mod", version)
	}
	var imports []string
	for _, c := range kubernetesCommands {
		imports = append(imports, "k8s.io/kubernetes/cmd/"+c)
	}
	return gobuild.Module{
		Name:     "kubernetes-" + version,
		Requires: []string{"k8s.io/kubernetes@" + version},
		Replaces: replaces,
		Imports:  imports,
	}, nil
}

// kubernetesCommands are built for every node image.
var kubernetesCommands = []string{"kubeadm", "kubelet", "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"}

// kubernetesLDFlags stamp the version where kubeadm and clients read it;
// without them kubeadm asks for images tagged v0.0.0.
func kubernetesLDFlags(version string) []string {
	m := versionRE.FindStringSubmatch(version)
	var out []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		out = append(out,
			"-X", pkg+".gitVersion="+version,
			"-X", pkg+".gitMajor=1",
			"-X", pkg+".gitMinor="+m[1],
			"-X", pkg+".gitTreeState=clean",
			"-X", pkg+".gitCommit=0000000000000000000000000000000000000000",
		)
	}
	return out
}

// etcdModule builds etcd's server at the version kubeadm asks for.
func etcdModule(version string) gobuild.Module {
	return gobuild.Module{
		Name:     "etcd-" + version,
		Requires: []string{"go.etcd.io/etcd/server/v3@" + version},
		Main: `// Command etcd runs etcd's server main.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
`,
	}
}

// corednsPlugins are the plugins kubeadm's default Corefile uses; importing
// only these keeps CoreDNS buildable from the module proxy (some other
// plugins pull cloud SDKs it does not serve).
var corednsPlugins = []string{"cache", "errors", "forward", "health", "hosts", "kubernetes", "loadbalance", "log", "loop", "metrics", "ready", "reload", "whoami"}

func corednsModule(version string) gobuild.Module {
	var b strings.Builder
	b.WriteString("// Command coredns is CoreDNS with the plugins kubeadm's Corefile uses.\npackage main\n\nimport (\n")
	b.WriteString("\t_ \"github.com/coredns/caddy/onevent\"\n")
	for _, p := range corednsPlugins {
		fmt.Fprintf(&b, "\t_ \"github.com/coredns/coredns/plugin/%s\"\n", p)
	}
	b.WriteString("\n\t\"github.com/coredns/coredns/coremain\"\n)\n\nfunc main() { coremain.Run() }\n")
	return gobuild.Module{
		Name:     "coredns-" + version,
		Requires: []string{"github.com/coredns/coredns@" + version},
		Main:     b.String(),
	}
}

// CrictlModule is the cri-tools module whose crictl goes with Kubernetes
// version k8sVersion (the arm64 QEMU disk builds it too).
func CrictlModule(k8sVersion string) gobuild.Module { return crictlModule(crictlVersion(k8sVersion)) }

// CrictlPackage is crictl's main package in CrictlModule.
const CrictlPackage = "sigs.k8s.io/cri-tools/cmd/crictl"

func crictlModule(version string) gobuild.Module {
	return gobuild.Module{
		Name:     "cri-tools-" + version,
		Requires: []string{"sigs.k8s.io/cri-tools@" + version},
		Imports:  []string{CrictlPackage},
	}
}

func metricsServerModule(version string) gobuild.Module {
	return gobuild.Module{
		Name:     "metrics-server-" + version,
		Requires: []string{"sigs.k8s.io/metrics-server@" + version},
		Imports:  []string{"sigs.k8s.io/metrics-server/cmd/metrics-server"},
	}
}

// crictlVersion follows the Kubernetes minor, as cri-tools releases do.
func crictlVersion(k8sVersion string) string {
	m := versionRE.FindStringSubmatch(k8sVersion)
	return "v1." + m[1] + ".0"
}

// imageSet is what kubeadm expects for a Kubernetes version.
type imageSet struct {
	APIServer, ControllerManager, Scheduler, Proxy, CoreDNS, Pause, Etcd string
}

// parseImageList reads `kubeadm config images list` output.
func parseImageList(out string) (imageSet, error) {
	var s imageSet
	for _, line := range strings.Fields(out) {
		repo := line
		if i := strings.LastIndex(line, ":"); i > 0 {
			repo = line[:i]
		}
		switch {
		case strings.HasSuffix(repo, "/kube-apiserver"):
			s.APIServer = line
		case strings.HasSuffix(repo, "/kube-controller-manager"):
			s.ControllerManager = line
		case strings.HasSuffix(repo, "/kube-scheduler"):
			s.Scheduler = line
		case strings.HasSuffix(repo, "/kube-proxy"):
			s.Proxy = line
		case strings.HasSuffix(repo, "/coredns"):
			s.CoreDNS = line
		case strings.HasSuffix(repo, "/pause"):
			s.Pause = line
		case strings.HasSuffix(repo, "/etcd"):
			s.Etcd = line
		}
	}
	for _, c := range []struct{ name, ref string }{{"kube-apiserver", s.APIServer}, {"kube-controller-manager", s.ControllerManager},
		{"kube-scheduler", s.Scheduler}, {"kube-proxy", s.Proxy}, {"coredns", s.CoreDNS}, {"pause", s.Pause}, {"etcd", s.Etcd}} {
		if c.ref == "" {
			return s, fmt.Errorf("kubeadm listed no %s image in %q", c.name, out)
		}
	}
	return s, nil
}

// tagOf returns the tag of an image reference.
func tagOf(ref string) string { return ref[strings.LastIndex(ref, ":")+1:] }

// etcdVersion turns kubeadm's etcd tag ("3.6.5-0") into a module version.
func etcdVersion(tag string) string {
	v, _, _ := strings.Cut(tag, "-")
	return "v" + v
}
