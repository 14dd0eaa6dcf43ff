package qemu

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeproof/edgeproof/clusters/nodeimage"
)

// A merged-/usr tree: writing under /lib must go through the link, never
// replace it with a directory (that made a VM panic without init).
func TestInRootFollowsTheTreesLinks(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib", filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/lib/modules/6.1":  filepath.Join(root, "usr/lib/modules/6.1"),
		"/abs/x":            filepath.Join(root, "usr/lib/x"),
		"/etc/fstab":        filepath.Join(root, "etc/fstab"),
		"/lib/../etc/hosts": filepath.Join(root, "etc/hosts"),
	} {
		got, err := nodeimage.InRoot(root, in)
		if err != nil || got != want {
			t.Errorf("nodeimage.InRoot(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if err := writeInRoot(root, "/lib/systemd/x.conf", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(filepath.Join(root, "lib")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("/lib is no longer a symlink")
	}
	if _, err := os.Stat(filepath.Join(root, "usr/lib/systemd/x.conf")); err != nil {
		t.Fatal(err)
	}
}

// Files of the scratch tree may be hard links into the cache: writing
// one must replace it, not change the shared inode.
func TestWriteInRootLeavesHardLinksAlone(t *testing.T) {
	root := t.TempDir()
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.WriteFile(shared, []byte("cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.Link(shared, filepath.Join(root, "etc", "hosts")); err != nil {
		t.Skip("no hard links here:", err)
	}
	if err := writeInRoot(root, "/etc/hosts", []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(shared); string(raw) != "cache" {
		t.Fatalf("shared file changed to %q", raw)
	}
	if err := symlinkInRoot(root, "/opt/cni/bin", "/usr/lib/cni"); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(root, "opt/cni/bin")); err != nil || target != "/usr/lib/cni" {
		t.Fatalf("link: %s %v", target, err)
	}
}
