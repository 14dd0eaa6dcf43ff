package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgeproof/edgeproof/internal/cache"
)

func TestBuildStageIsAtomicAndCached(t *testing.T) {
	t.Setenv(cache.EnvDir, t.TempDir())
	dir, err := stageDir("kernel", "k1")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := buildStage(dir, func(tmp string) error {
		_ = os.WriteFile(filepath.Join(tmp, "half"), nil, 0o644)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failed build: err=%v", err)
	}
	left, _ := filepath.Glob(dir + "*")
	if len(left) != 0 {
		t.Fatalf("a failed stage left %v", left)
	}
	runs := 0
	build := func(tmp string) error { runs++; return os.WriteFile(filepath.Join(tmp, "out"), []byte("x"), 0o644) }
	if cached, err := buildStage(dir, build); err != nil || cached {
		t.Fatalf("first build: cached=%v err=%v", cached, err)
	}
	if cached, err := buildStage(dir, build); err != nil || !cached || runs != 1 {
		t.Fatalf("second build: cached=%v err=%v runs=%d", cached, err, runs)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	// A directory without the completion mark is rebuilt, not trusted.
	other, _ := stageDir("images", "i1")
	_ = os.MkdirAll(other, 0o755)
	if cached, err := buildStage(other, build); err != nil || cached || runs != 2 {
		t.Fatalf("unmarked dir: cached=%v err=%v runs=%d", cached, err, runs)
	}
}
