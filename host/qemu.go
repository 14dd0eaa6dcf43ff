package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/internal/progress"
)

// QEMUTool is a host program that building or booting arm64 edge nodes
// (the qemu provider) needs, with the Debian package that provides it.
type QEMUTool struct {
	// Capability is the name doctor reports it under.
	Capability string
	// Binary is looked up in PATH.
	Binary string
	// Package is the Debian package to install.
	Package string
	// Purpose says what it is needed for ("boot arm64 edge nodes").
	Purpose string
}

// QEMUTools are the programs the qemu provider runs on the host.
var QEMUTools = []QEMUTool{
	{CapQEMU, "qemu-system-aarch64", "qemu-system-arm", "boot arm64 edge nodes"},
	{"qemu-img", "qemu-img", "qemu-utils", "give each arm64 VM a copy-on-write disk"},
	{"debootstrap", "debootstrap", "debootstrap", "build the arm64 node rootfs"},
	{"qemu-user-static", "qemu-aarch64-static", "qemu-user-static", "run arm64 programs while the node disk is built"},
	{"update-binfmts", "update-binfmts", "binfmt-support", "register qemu-aarch64 with the kernel"},
	{"containerd", "containerd", "containerd", "preload images into the arm64 node disk"},
}

// CapBinfmt names the check that the kernel runs arm64 binaries through
// qemu-user (debootstrap --arch=arm64 and chroot steps need it).
const CapBinfmt = "binfmt-arm64"

// binfmtDir is where binfmt_misc is mounted; a variable so tests can move it.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtEntry is the state of one binfmt_misc registration.
type binfmtEntry struct {
	Enabled     bool
	Interpreter string
	Flags       string
}

// parseBinfmtEntry reads a /proc/sys/fs/binfmt_misc/NAME file.
func parseBinfmtEntry(text string) (binfmtEntry, error) {
	var e binfmtEntry
	seen := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "enabled":
			e.Enabled, seen = true, true
		case line == "disabled":
			seen = true
		case strings.HasPrefix(line, "interpreter "):
			e.Interpreter = strings.TrimSpace(strings.TrimPrefix(line, "interpreter "))
		case strings.HasPrefix(line, "flags:"):
			e.Flags = strings.TrimSpace(strings.TrimPrefix(line, "flags:"))
		}
	}
	if !seen {
		return e, fmt.Errorf("binfmt entry without enabled/disabled line: %q", text)
	}
	return e, nil
}

// binfmtState checks that arm64 binaries run through qemu-user. The F flag
// matters: it makes the kernel open the interpreter at registration, so
// it is found inside a chroot that has no qemu binary of its own.
func binfmtState() (string, bool) {
	if _, err := os.Stat(filepath.Join(binfmtDir, "status")); err != nil {
		return "binfmt_misc not mounted", false
	}
	raw, err := os.ReadFile(filepath.Join(binfmtDir, "qemu-aarch64"))
	if err != nil {
		return "no qemu-aarch64 entry", false
	}
	e, err := parseBinfmtEntry(string(raw))
	if err != nil {
		return err.Error(), false
	}
	if !e.Enabled {
		return "qemu-aarch64 entry disabled", false
	}
	if !strings.Contains(e.Flags, "F") {
		return "qemu-aarch64 without the F flag (chroot steps fail)", false
	}
	return "enabled (" + e.Interpreter + ")", true
}

// qemuCapabilities reports each qemu provider prerequisite.
func qemuCapabilities() []Capability {
	var caps []Capability
	for _, t := range QEMUTools {
		if p, err := lookPath(t.Binary); err == nil {
			caps = append(caps, Capability{t.Capability, p, true, "used to " + t.Purpose})
		} else {
			caps = append(caps, Capability{t.Capability, "absent", false,
				"needed to " + t.Purpose + ": apt-get install " + t.Package + " (or `edgeproof doctor --fix --qemu`)"})
		}
	}
	if v, ok := binfmtState(); ok {
		caps = append(caps, Capability{CapBinfmt, v, true, "arm64 rootfs steps run under qemu-user"})
	} else {
		caps = append(caps, Capability{CapBinfmt, v, false,
			"arm64 rootfs cannot be built; mount binfmt_misc and run `update-binfmts --enable qemu-aarch64` (or `edgeproof doctor --fix --qemu`)"})
	}
	return caps
}

// QEMUMissing returns an error naming every missing qemu provider
// prerequisite and how to get it, or nil when all are present. Builders
// call it first, so a missing tool is a clear error rather than a hang or
// an "exec format error" halfway through.
func QEMUMissing() error {
	var missing []string
	for _, c := range qemuCapabilities() {
		if c.OK {
			continue
		}
		missing = append(missing, c.Name+": "+c.Value+" ("+c.Meaning+")")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("host is not ready for arm64 QEMU nodes:\n  %s", strings.Join(missing, "\n  "))
}

// missingQEMUPackages lists the Debian packages whose programs are absent.
func missingQEMUPackages() []string {
	var pkgs []string
	for _, t := range QEMUTools {
		if _, err := lookPath(t.Binary); err != nil {
			pkgs = append(pkgs, t.Package)
		}
	}
	return pkgs
}

// PrepareQEMU installs the qemu provider's Debian packages and registers
// qemu-aarch64 with binfmt_misc. It needs root on Debian and returns what
// it changed; on a ready host it changes nothing.
func PrepareQEMU(ctx context.Context, p *progress.Printer) ([]string, error) {
	var changes []string
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		changes = append(changes, msg)
		p.Infof("  + %s", msg)
	}
	pkgs := missingQEMUPackages()
	_, binfmtOK := binfmtState()
	if len(pkgs) == 0 && binfmtOK {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("preparing the host for arm64 QEMU nodes needs root")
	}
	if len(pkgs) > 0 {
		if _, err := os.Stat("/etc/debian_version"); err != nil {
			return nil, fmt.Errorf("install %s for this distribution (automatic install supports Debian only)", strings.Join(pkgs, " "))
		}
		if err := p.Step("installing "+strings.Join(pkgs, " "), func() error { return aptInstall(ctx, pkgs) }); err != nil {
			return changes, err
		}
		note("installed Debian packages %s", strings.Join(pkgs, " "))
	}
	if _, err := os.Stat(filepath.Join(binfmtDir, "status")); err != nil {
		if err := command.New("mount", "-t", "binfmt_misc", "binfmt_misc", binfmtDir).Run(ctx); err != nil {
			return changes, fmt.Errorf("mounting binfmt_misc (arm64 chroot steps need it): %w", err)
		}
		note("mounted binfmt_misc on %s", binfmtDir)
	}
	if _, ok := binfmtState(); !ok {
		if err := command.New("update-binfmts", "--enable", "qemu-aarch64").Run(ctx); err != nil {
			return changes, fmt.Errorf("registering qemu-aarch64 with binfmt_misc: %w", err)
		}
		note("enabled qemu-aarch64 in binfmt_misc")
	}
	if v, ok := binfmtState(); !ok {
		return changes, fmt.Errorf("qemu-aarch64 still not usable after update-binfmts: %s", v)
	}
	return changes, nil
}

// aptInstall installs pkgs, refreshing the package lists once when the
// first attempt fails (a fresh machine may have none).
func aptInstall(ctx context.Context, pkgs []string) error {
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	install := func() error {
		args := append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)
		return command.New("apt-get", args...).Env(env...).Run(ctx)
	}
	if install() == nil {
		return nil
	}
	if err := command.New("apt-get", "update", "-qq").Env(env...).Run(ctx); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := install(); err != nil {
		return fmt.Errorf("installing %s (check the apt archive is reachable): %w", strings.Join(pkgs, " "), err)
	}
	return nil
}
