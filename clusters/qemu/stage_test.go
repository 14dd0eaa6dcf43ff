package qemu

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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

func TestPruneStagesKeepsCurrentAndInUse(t *testing.T) {
	t.Setenv(cache.EnvDir, t.TempDir())
	mk := func(name, key string, complete bool) string {
		dir, err := stageDir(name, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if complete {
			if err := os.WriteFile(filepath.Join(dir, completeMark), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	current, old, used := mk("disk", "new", true), mk("disk", "old", true), mk("disk", "used", true)
	partial := mk("disk", "partial", false)
	images, oldImages := mk("images", "new", true), mk("images", "old", true)
	vms, err := cache.Dir("vms", "edge", "arm64-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(vms, "vm.json"), savedConfig{DiskDir: used}); err != nil {
		t.Fatal(err)
	}
	removed, err := pruneStages([]string{current, images}, "disk", "images")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{old, oldImages}; !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	for _, d := range []string{current, used, partial, images} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was pruned: %v", d, err)
		}
	}
}
