//go:build e2e

package qemu

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
)

// bootTimeout bounds VM start to EDGEPROOF-READY. A node is Ready in
// about 60 s on an idle 2-core host; niced beside a cluster it takes
// several times that.
const bootTimeout = 10 * time.Minute

// TestDiskBoots builds (or reuses) the arm64 node disk, boots one VM from
// an overlay of it with user-mode networking, waits for the first-boot
// self-test to pass, checks QMP, powers the VM off (a power loss), boots
// it again from the same overlay and removes it. It joins no cluster and
// touches no Docker object.
func TestDiskBoots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building the arm64 node disk needs root")
	}
	if err := host.QEMUMissing(); err != nil {
		t.Skip(err)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()

	start := time.Now()
	d, err := BuildDisk(ctx, Options{RepoRoot: root, Printer: progress.New(os.Stderr), LowPriority: true})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(d.Image)
	t.Logf("disk %s (cached=%v) in %s; kernel %s; base image %d MiB apparent", d.Dir, d.Cached, time.Since(start).Round(time.Second), d.KernelRelease, st.Size()>>20)

	logDir := os.Getenv("ARTIFACTS")
	if logDir == "" {
		logDir = filepath.Join(os.TempDir(), "edgeproof-qemu-logs")
	}
	logDir = filepath.Join(logDir, "qemu")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	runDir, err := os.MkdirTemp("", "edgeproof-vm-")
	if err != nil {
		t.Fatal(err)
	}
	const name = "edgeproof-boot-test"
	cfg := VMConfig{
		Name: name, Disk: d, RunDir: runDir, SerialLog: filepath.Join(logDir, name+"-serial.log"),
		Env:         map[string]string{EnvNodeName: "edge-arm64-boot"},
		LowPriority: true,
	}
	vm, err := StartVM(ctx, cfg)
	if err != nil {
		os.RemoveAll(runDir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// vm is the latest start: the power-cycle step replaces it.
		if err := vm.Remove(context.Background()); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(runDir); !os.IsNotExist(err) {
			t.Errorf("VM run dir %s (overlay) left behind", runDir)
		}
	})
	t.Logf("VM %s started (pid %d), serial log %s", name, vm.PID(), vm.Config.SerialLog)

	line, err := vm.WaitReady(ctx, bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VM start to %s: %s (%s)", MarkerReady, time.Since(vm.Started).Round(100*time.Millisecond), line)
	serial, _ := os.ReadFile(vm.Config.SerialLog)
	if !strings.Contains(string(serial), "EDGEPROOF-ENV from=fw_cfg node=edge-arm64-boot") {
		t.Errorf("the guest did not read its identity from fw_cfg; serial log %s", vm.Config.SerialLog)
	}

	status, err := vm.QMP(ctx, `{"execute":"query-status"}`)
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Status string }
	if err := json.Unmarshal(status, &s); err != nil || s.Status != "running" {
		t.Fatalf("QMP query-status = %s (%v), want running", status, err)
	}

	// Idle cost of a booted VM (no kubelet yet: it waits for a join).
	before, err := vm.Usage()
	if err != nil {
		t.Fatal(err)
	}
	const idle = 30 * time.Second
	time.Sleep(idle)
	after, err := vm.Usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VM RSS %d MiB; idle CPU %.2f of a core over %s", after.RSSBytes>>20, (after.CPUSeconds-before.CPUSeconds)/idle.Seconds(), idle)

	off := time.Now()
	if err := vm.PowerOff(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("QMP quit: QEMU gone in %s", time.Since(off).Round(10*time.Millisecond))

	// Power loss and restart from the same overlay: the disk must come
	// back (fsck in the initramfs) and the self-test pass again.
	vm, err = StartVM(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	line, err = vm.WaitReady(ctx, bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart after power loss, start to %s: %s (%s)", MarkerReady, time.Since(vm.Started).Round(100*time.Millisecond), line)
	if err := vm.PowerOff(ctx); err != nil {
		t.Fatal(err)
	}
}
