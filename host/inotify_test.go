package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRaiseInotify raises only the limits below kind's minimums and says
// what it changed; a second call changes nothing.
func TestRaiseInotify(t *testing.T) {
	dir := t.TempDir()
	old := inotifyDir
	inotifyDir = dir
	defer func() { inotifyDir = old }()
	os.WriteFile(filepath.Join(dir, "max_user_instances"), []byte("128\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "max_user_watches"), []byte("1048576\n"), 0o644)
	changed, err := raiseInotify()
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || !strings.Contains(changed[0], "max_user_instances from 128 to 512") {
		t.Fatalf("changed %q", changed)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "max_user_watches")); strings.TrimSpace(string(b)) != "1048576" {
		t.Errorf("a higher limit was lowered to %s", b)
	}
	if changed, err := raiseInotify(); err != nil || len(changed) != 0 {
		t.Errorf("second call: %q %v", changed, err)
	}
}
