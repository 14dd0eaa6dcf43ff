package qemu

import (
	"strings"
	"testing"
)

func TestKernelPackageFromDepends(t *testing.T) {
	pkg, err := kernelPackage("linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)")
	if err != nil || pkg != "linux-image-6.1.0-56-cloud-arm64" {
		t.Fatalf("%q %v", pkg, err)
	}
	if pkg, _ := kernelPackage("linux-base, linux-image-6.1.0-9-cloud-arm64-unsigned (= 6.1.27-1) | linux-image-6.1.0-9-cloud-arm64"); kernelRelease(pkg) != "6.1.0-9-cloud-arm64" {
		t.Fatalf("unsigned: %q -> %q", pkg, kernelRelease(pkg))
	}
	if _, err := kernelPackage("kmod, linux-base"); err == nil {
		t.Fatal("no kernel in Depends: want an error")
	}
	stanza := "Package: linux-image-cloud-arm64\nVersion: 6.1.192-2\nDepends: linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)\n\nPackage: other\nDepends: x\n"
	if got := controlField(stanza, "Depends"); got != "linux-image-6.1.0-56-cloud-arm64 (= 6.1.192-2)" {
		t.Fatalf("Depends = %q", got)
	}
}

// The private apt must never use the host's state: no change to the
// host's dpkg architectures or package lists.
func TestForeignAptKeepsItsOwnState(t *testing.T) {
	a := foreignApt{Dir: "/c/apt-arm64", Arch: "arm64"}
	opts := strings.Join(a.options(), " ")
	for _, want := range []string{"Dir::State=/c/apt-arm64/state", "Dir::State::status=/c/apt-arm64/state/status", "Dir::Cache=/c/apt-arm64/cache", "APT::Architecture=arm64"} {
		if !strings.Contains(opts, want) {
			t.Errorf("apt options %q lack %s", opts, want)
		}
	}
}
