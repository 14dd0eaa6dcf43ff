//go:build e2e

package native_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/chaos/leak"
	"github.com/edgeproof/edgeproof/chaos/recovery"
	"github.com/edgeproof/edgeproof/scenarios"
)

const crashChildEnv = "EDGEPROOF_CRASH_CHILD"

// TestCrashedRunIsHealed kills a run for real in the middle of two faults
// (an isolated, then frozen node): a child process injects them and exits
// without healing, as a crash or kill -9 would leave things. The parent
// proves the leftovers are visible, then heals them from the on-disk
// journal alone, as `edgeproof recover` does, and finds nothing left.
func TestCrashedRunIsHealed(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		crashChild(t)
		return
	}
	h := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashedRunIsHealed$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("child should crash with exit 3 after injecting; err=%v\n%s", err, out)
	}
	left, err := leak.Check(ctx, h.c)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) < 2 {
		t.Fatalf("the crashed run's faults should be visible as leftovers, got %v", left)
	}
	t.Logf("left by the crashed run: %v", left)
	// A fresh handle: recovery works from what is on disk, not from memory.
	j, err := journal.Open(h.c.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	res, err := recovery.RecoverAll(ctx, h.c, j)
	if err != nil {
		t.Fatalf("recover: %v (%v)", err, res)
	}
	if len(res) != 2 {
		t.Errorf("recovered %d entries, want 2: %v", len(res), res)
	}
	if left, err := leak.Check(ctx, h.c); err != nil || len(left) > 0 {
		t.Fatalf("after recover: leftovers %v, err %v", left, err)
	}
	h.waitReady(true, 3*time.Minute)
}

func crashChild(t *testing.T) {
	h := setup(t)
	ctx := context.Background()
	for _, kind := range []scenarios.FaultKind{scenarios.NodeIsolate, scenarios.NodePause} {
		if _, err := h.b.Inject(ctx, h.fault(kind)); err != nil {
			t.Logf("inject %s: %v", kind, err)
			os.Exit(4)
		}
	}
	// No Recover, no cleanup: the process dies with the faults in place.
	os.Exit(3)
}
