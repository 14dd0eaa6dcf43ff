package nodeimage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseImageList(t *testing.T) {
	out := `registry.k8s.io/kube-apiserver:v1.34.4
registry.k8s.io/kube-controller-manager:v1.34.4
registry.k8s.io/kube-scheduler:v1.34.4
registry.k8s.io/kube-proxy:v1.34.4
registry.k8s.io/coredns/coredns:v1.12.1
registry.k8s.io/pause:3.10.1
registry.k8s.io/etcd:3.6.5-0
`
	s, err := parseImageList(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.CoreDNS != "registry.k8s.io/coredns/coredns:v1.12.1" || tagOf(s.CoreDNS) != "v1.12.1" {
		t.Errorf("coredns = %q", s.CoreDNS)
	}
	if got := etcdVersion(tagOf(s.Etcd)); got != "v3.6.5" {
		t.Errorf("etcd module version = %q", got)
	}
	if _, err := parseImageList("registry.k8s.io/pause:3.10.1"); err == nil || !strings.Contains(err.Error(), "no kube-apiserver") {
		t.Errorf("incomplete list: err = %v", err)
	}
}

func TestKubernetesVersionChecks(t *testing.T) {
	for _, bad := range []string{"1.34.4", "v1.34", "latest", "v2.0.0"} {
		if _, err := kubernetesModule(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "want v1.MINOR.PATCH") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	ld := strings.Join(kubernetesLDFlags("v1.34.4"), " ")
	for _, want := range []string{"k8s.io/component-base/version.gitVersion=v1.34.4", "k8s.io/client-go/pkg/version.gitMinor=34"} {
		if !strings.Contains(ld, want) {
			t.Errorf("ldflags lack %s: %s", want, ld)
		}
	}
	if crictlVersion("v1.34.4") != "v1.34.0" {
		t.Errorf("crictl version = %s", crictlVersion("v1.34.4"))
	}
}

func TestMirrorFromAptSources(t *testing.T) {
	dir := t.TempDir()
	deb822 := filepath.Join(dir, "debian.sources")
	os.WriteFile(deb822, []byte("Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"+
		"Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"), 0o644)
	if got := mirrorFromDeb822(deb822); got != "http://mirror.example/debian" {
		t.Errorf("deb822 mirror = %q", got)
	}
	list := filepath.Join(dir, "sources.list")
	os.WriteFile(list, []byte("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"), 0o644)
	if got := mirrorFromList(list); got != "http://mirror.example/debian" {
		t.Errorf("list mirror = %q", got)
	}
}

func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	// Merged /usr with a relative link, and an absolute link as Debian's
	// dynamic loader has: both must resolve inside root, never on the host.
	os.MkdirAll(filepath.Join(root, "usr/lib/x86_64-linux-gnu"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/lib/x86_64-linux-gnu/ld.so"), []byte("x"), 0o755)
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	os.MkdirAll(filepath.Join(root, "usr/lib64"), 0o755)
	os.Symlink("usr/lib64", filepath.Join(root, "lib64"))
	os.Symlink("/lib/x86_64-linux-gnu/ld.so", filepath.Join(root, "usr/lib64/ld-linux.so.2"))
	got, err := resolveIn(root, "/lib64/ld-linux.so.2")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "usr/lib/x86_64-linux-gnu/ld.so"); got != want {
		t.Errorf("resolveIn = %s, want %s", got, want)
	}
	os.Symlink("loop", filepath.Join(root, "loop"))
	if _, err := resolveIn(root, "/loop"); err == nil {
		t.Error("a link loop must fail")
	}
}

func TestCorednsModuleImportsOnlyKubeadmPlugins(t *testing.T) {
	m := corednsModule("v1.12.1")
	if !strings.Contains(m.Main, `"github.com/coredns/coredns/plugin/kubernetes"`) || strings.Contains(m.Main, "plugin/route53") {
		t.Errorf("unexpected plugin set:\n%s", m.Main)
	}
}
