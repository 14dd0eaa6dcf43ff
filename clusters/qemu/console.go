package qemu

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Console markers printed by the disk's first-boot units.
const (
	// MarkerReady follows a successful self-test (kubelet and kubeadm
	// versions, containerd, the preloaded pause image running).
	MarkerReady = "EDGEPROOF-READY"
	// MarkerJoined follows a successful kubeadm join (or, after a
	// restart, the check that the node had joined before).
	MarkerJoined = "EDGEPROOF-JOINED"
	// MarkerFailed is followed by step=NAME and the reason.
	MarkerFailed = "EDGEPROOF-FAILED"
)

// bootSteps are the milestones of a boot in the serial log, in order; the
// last one seen tells where a boot that never finished got stuck.
var bootSteps = []struct{ name, marker string }{
	{"kernel started", "Booting Linux on physical CPU"},
	{"initramfs running", "Run /init as init process"},
	{"systemd started", "systemd[1]: "},
	{"fw_cfg env read", "EDGEPROOF-ENV"},
	{"kubelet and kubeadm checked", "EDGEPROOF-CHECK"},
	{"self-test passed", MarkerReady},
	{"joined the cluster", MarkerJoined},
}

var failedRE = regexp.MustCompile(MarkerFailed + ` step=(\S+)[^\n]*`)

// bootState reads a serial log: the last milestone reached, whether the
// marker was printed, and a failure line (the guest's, or a kernel panic).
func bootState(log, marker string) (step string, reached bool, failure string) {
	step = "nothing on the console"
	for _, s := range bootSteps {
		if strings.Contains(log, s.marker) {
			step = s.name
		}
	}
	if m := failedRE.FindString(log); m != "" {
		return step, false, strings.TrimSpace(m)
	}
	if i := strings.Index(log, "Kernel panic"); i >= 0 {
		line, _, _ := strings.Cut(log[i:], "\n")
		return step, false, strings.TrimSpace(line)
	}
	return step, strings.Contains(log, marker), ""
}

// markerLine is the first serial log line holding marker.
func markerLine(log, marker string) string {
	i := strings.Index(log, marker)
	if i < 0 {
		return ""
	}
	line, _, _ := strings.Cut(log[i:], "\n")
	return strings.TrimSpace(line)
}

// WaitReady waits until the guest's self-test prints EDGEPROOF-READY and
// returns that line. It fails at once when the self-test fails, the
// kernel panics or QEMU exits, and after timeout otherwise; every error
// names the last boot step reached and the serial log.
func (vm *VM) WaitReady(ctx context.Context, timeout time.Duration) (string, error) {
	return vm.waitMarker(ctx, MarkerReady, timeout)
}

// WaitJoined is WaitReady for the join unit's EDGEPROOF-JOINED.
func (vm *VM) WaitJoined(ctx context.Context, timeout time.Duration) (string, error) {
	return vm.waitMarker(ctx, MarkerJoined, timeout)
}

func (vm *VM) waitMarker(ctx context.Context, marker string, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	logPath := vm.Config.SerialLog
	fail := func(format string, args ...any) error {
		raw, _ := os.ReadFile(logPath)
		step, _, _ := bootState(string(raw), marker)
		return fmt.Errorf("VM %s: %s after %s (last boot step: %s); serial log: %s",
			vm.Config.Name, fmt.Sprintf(format, args...), time.Since(vm.Started).Round(time.Second), step, logPath)
	}
	for {
		raw, _ := os.ReadFile(logPath)
		_, reached, failure := bootState(string(raw), marker)
		switch {
		case failure != "":
			return "", fail("boot failed: %s", failure)
		case reached:
			return markerLine(string(raw), marker), nil
		}
		select {
		case <-ctx.Done():
			return "", fail("waiting for %s: %v", marker, ctx.Err())
		case <-vm.done():
			return "", fail("qemu exited (%v): %s", vm.waitErr, vm.qemuOutput())
		case <-deadline.C:
			return "", fail("no %s within %s", marker, timeout)
		case <-tick.C:
		}
	}
}
