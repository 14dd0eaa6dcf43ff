package fingerprint

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"testing"

	"github.com/edgeproof/edgeproof/internal/repo"
)

// go test binaries carry no VCS stamp, so this exercises the fallback to
// the checkout's HEAD that the e2e suite's reports rely on.
func TestCommitOfCheckout(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bi, _ := debug.ReadBuildInfo()
	got := commit(context.Background(), bi)
	if !regexp.MustCompile(`^[0-9a-f]{40}(-dirty)?$`).MatchString(got) {
		t.Fatalf("commit() = %q, want a 40-hex git commit, optionally -dirty", got)
	}
}
