package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/host"
	"github.com/edgeproof/edgeproof/internal/cache"
	"github.com/edgeproof/edgeproof/internal/progress"
	"github.com/edgeproof/edgeproof/internal/repo"
)

// Extension joins the arm64 VMs a topology asks for (arm64Nodes) to a
// kind cluster, and gives the provider their nodes: a clusters.Extension.
type Extension struct {
	// RepoRoot is the edgeproof checkout the disk's programs are built from.
	RepoRoot string
	// Printer shows the disk build's progress (nil: none).
	Printer *progress.Printer
	// LogDir receives serial console logs; default each VM's run dir.
	LogDir string
}

// NodeName is the Kubernetes name of the cluster's i-th arm64 VM (1-based).
func NodeName(cluster string, i int) string { return cluster + "-arm64-" + strconv.Itoa(i) }

// Join implements clusters.Extension: it builds (or reuses) the disk and
// joins one VM per arm64 worker of t, VMs niced below the cluster.
func (e *Extension) Join(ctx context.Context, c *clusters.Cluster, t *clusters.Topology, logf func(string, ...any)) error {
	zones := t.ARM64Workers()
	if len(zones) == 0 {
		return nil
	}
	err := host.QEMUMissing()
	if err != nil {
		return fmt.Errorf("the topology asks for %d arm64 node(s): %w", len(zones), err)
	}
	root := e.RepoRoot
	if root == "" {
		if root, err = repo.Root(); err != nil {
			return fmt.Errorf("building the arm64 node disk: %w", err)
		}
	}
	d, err := BuildDisk(ctx, Options{RepoRoot: root, Printer: e.Printer, LowPriority: true})
	if err != nil {
		return err
	}
	specs := make([]EdgeNodeSpec, len(zones))
	for i, z := range zones {
		specs[i] = EdgeNodeSpec{Name: NodeName(c.Name, i+1), Zone: z.Name, Slot: i, Labels: z.Labels}
	}
	logDir := e.LogDir
	if logDir == "" {
		if logDir, err = StateDir(c.Name); err != nil {
			return err
		}
	}
	start := time.Now()
	if _, err := Join(ctx, JoinOptions{Cluster: c, Disk: d, LogDir: logDir, LowPriority: true, Logf: logf}, specs); err != nil {
		return err
	}
	logf("%d arm64 node(s) Ready in %s", len(specs), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// runDirs are the VM run directories of a cluster, by node name. Reading
// creates nothing: most clusters have no VMs.
func runDirs(cluster string) (map[string]string, error) {
	root, err := cache.Dir("vms")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(root, cluster))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("VM state of %s: %w", cluster, err)
	}
	out := map[string]string{}
	for _, en := range entries {
		dir := filepath.Join(root, cluster, en.Name())
		if _, err := os.Stat(filepath.Join(dir, "vm.json")); err == nil {
			out[en.Name()] = dir
		}
	}
	return out, nil
}

// eachVM opens every VM of the cluster and calls do on it; the errors of
// all of them are returned together.
func eachVM(cluster string, do func(node string, vm *VM) error) error {
	dirs, err := runDirs(cluster)
	if err != nil {
		return err
	}
	var errs []error
	for node, run := range dirs {
		vm, err := OpenVM(run)
		if err == nil {
			err = do(node, vm)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Nodes implements clusters.Extension.
func (e *Extension) Nodes(ctx context.Context, name string) ([]clusters.NodeOps, error) {
	dirs, err := runDirs(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]clusters.NodeOps, len(names))
	for i, n := range names {
		out[i] = &vmNode{name: n, dir: dirs[n]}
	}
	return out, nil
}

// Delete implements clusters.Extension.
func (e *Extension) Delete(ctx context.Context, name string) error {
	dirs, err := runDirs(name)
	if err != nil || len(dirs) == 0 {
		return err
	}
	return RemoveAll(ctx, name)
}

// CollectLogs implements clusters.Extension: each VM's serial console
// (this boot's and the previous one's) and, from a running VM, its
// journal, into dir/<node>/ (beside the driver's node folders).
func (e *Extension) CollectLogs(ctx context.Context, name, dir string) error {
	return eachVM(name, func(node string, vm *VM) error {
		out := filepath.Join(dir, node)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		for _, f := range []string{vm.Config.SerialLog, vm.Config.SerialLog + ".prev"} {
			if raw, err := os.ReadFile(f); err == nil {
				_ = os.WriteFile(filepath.Join(out, filepath.Base(f)), raw, 0o644)
			}
		}
		if !vm.Exited() {
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if j, err := vm.Exec(jctx, nil, "journalctl", "-b", "--no-pager"); err == nil {
				_ = os.WriteFile(filepath.Join(out, "journal.log"), j, 0o644)
			}
		}
		return nil
	})
}

// vmNode is a joined VM as a clusters.NodeOps. Every call opens the VM's
// run directory afresh: the VM may have been started by another process.
type vmNode struct{ name, dir string }

func (n *vmNode) Name() string { return n.name }

func (n *vmNode) vm() (*VM, error) { return OpenVM(n.dir) }

// with runs do on the VM as it is now.
func (n *vmNode) with(do func(*VM) error) error {
	vm, err := n.vm()
	if err != nil {
		return err
	}
	return do(vm)
}

// Stop asks the guest to power off (ACPI power button) and waits for QEMU
// to end; a guest that ignores it is killed after a minute.
func (n *vmNode) Stop(ctx context.Context) error {
	return n.with(func(vm *VM) error {
		if vm.Exited() {
			return nil
		}
		if err := vm.qmpRun(ctx, `{"execute":"system_powerdown"}`); err != nil {
			return err
		}
		if vm.waitExit(time.Minute) {
			return nil
		}
		return vm.PowerOff(ctx)
	})
}

// Start boots the VM again from its overlay and returns once its agent
// answers, so callers can run commands on it at once (as on a kind node
// whose systemd answers); kubelet rejoins by itself.
func (n *vmNode) Start(ctx context.Context) error {
	return n.with(func(vm *VM) error {
		if !vm.Exited() {
			return nil
		}
		started, err := StartVM(ctx, vm.Config)
		if err != nil {
			return err
		}
		return started.waitAgent(ctx, "")
	})
}

// Kill cuts the power: QEMU quits at once.
func (n *vmNode) Kill(ctx context.Context) error {
	return n.with(func(vm *VM) error { return vm.PowerOff(ctx) })
}

// Pause stops the VM's CPUs (QMP stop): every process freezes, and so
// does the guest's clock.
func (n *vmNode) Pause(ctx context.Context) error {
	return n.with(func(vm *VM) error { return vm.qmpRun(ctx, `{"execute":"stop"}`) })
}

// Resume runs the VM's CPUs again (QMP cont).
func (n *vmNode) Resume(ctx context.Context) error {
	return n.with(func(vm *VM) error { return vm.qmpRun(ctx, `{"execute":"cont"}`) })
}

// Reset presses the VM's reset button (QMP system_reset): the guest
// restarts at once, nothing is shut down or flushed, and QEMU keeps
// running, so the node comes back from the same overlay and fw_cfg.
func (n *vmNode) Reset(ctx context.Context) error {
	return n.with(func(vm *VM) error {
		if vm.Exited() {
			return fmt.Errorf("VM %s has no power: nothing to reset", n.name)
		}
		// -no-reboot turns every reset into QEMU's exit (so that a guest
		// panic ends the VM); this reset alone is let through. QEMU
		// decides when the request is made, so the action can be put back
		// straight after.
		before := vm.bootID(ctx)
		if err := vm.qmpRun(ctx, `{"execute":"set-action","arguments":{"reboot":"reset"}}`); err != nil {
			return err
		}
		err := vm.qmpRun(ctx, `{"execute":"system_reset"}`)
		if rerr := vm.qmpRun(context.WithoutCancel(ctx), `{"execute":"set-action","arguments":{"reboot":"shutdown"}}`); rerr != nil && err == nil {
			err = rerr
		}
		if err != nil {
			return err
		}
		return vm.waitAgent(ctx, before)
	})
}

// SetLink sets the link state of the VM's network card (QMP set_link on
// the NIC, not the tap): the guest sees its carrier go and come back, as
// with a pulled cable, and the host's tap stays as it is. The agent talks
// over virtio-serial, so the guest stays reachable meanwhile.
func (n *vmNode) SetLink(ctx context.Context, up bool) error {
	return n.with(func(vm *VM) error {
		if vm.Exited() {
			return fmt.Errorf("VM %s has no power: its link cannot be set", n.name)
		}
		return vm.qmpRun(ctx, fmt.Sprintf(`{"execute":"set_link","arguments":{"name":%q,"up":%t}}`, nicID, up))
	})
}

// Exec runs a command in the guest through its agent.
func (n *vmNode) Exec(ctx context.Context, stdin []byte, args ...string) (out []byte, err error) {
	err = n.with(func(vm *VM) error {
		out, err = vm.Exec(ctx, stdin, args...)
		return err
	})
	return out, err
}

// State is "exited" for a VM without power, else QEMU's run state
// ("running", "paused", ...).
func (n *vmNode) State(ctx context.Context) (string, error) {
	vm, err := n.vm()
	if err != nil {
		return "", err
	}
	if vm.Exited() {
		return "exited", nil
	}
	raw, err := vm.QMP(ctx, `{"execute":"query-status"}`)
	if err != nil {
		return "", err
	}
	var s struct{ Status string }
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("VM %s: query-status: %w", n.name, err)
	}
	return s.Status, nil
}

// LoadImageArchives implements clusters.Extension: every running VM
// imports the arm64 archive through its agent, pins the images (no
// registry to pull them from again after a garbage collection) and syncs:
// the unpacked snapshots are not fsynced by containerd, and a power cut
// within the guest's writeback delay left a zero-length binary behind
// ("exec format error" after the restart). A VM without power is skipped:
// its overlay keeps what it had.
func (e *Extension) LoadImageArchives(ctx context.Context, name string, archives map[string]string) error {
	dirs, err := runDirs(name)
	if err != nil || len(dirs) == 0 {
		return err
	}
	archive, ok := archives[Arch]
	if !ok {
		return fmt.Errorf("the cluster has %s nodes but no %s build of the images was given", Arch, Arch)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		return fmt.Errorf("reading %s: %w", archive, err)
	}
	const script = `f=$(mktemp) && cat > "$f" && ctr -n k8s.io images import "$f" >/dev/null; rc=$?; rm -f "$f"; [ $rc = 0 ] || exit $rc
for r in $(ctr -n k8s.io images ls -q | grep -v '^sha256:'); do ctr -n k8s.io images label "$r" io.cri-containerd.pinned=pinned >/dev/null; done
sync`
	return eachVM(name, func(node string, vm *VM) error {
		if vm.Exited() {
			return nil
		}
		// Emulated: a few MiB take seconds to unpack.
		lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if _, err := vm.Exec(lctx, data, "sh", "-c", script); err != nil {
			return fmt.Errorf("node %s: importing %s: %w", node, filepath.Base(archive), err)
		}
		return nil
	})
}
