package qemu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edgeproof/edgeproof/clusters/qemu/vmagent"
	"github.com/edgeproof/edgeproof/internal/command"
)

// VM defaults, measured on 2-core hosts: cortex-a72 is much faster to
// emulate than "max" (no pointer authentication), and a node needs about
// 0.85 GiB.
const (
	DefaultCPU       = "cortex-a72"
	DefaultCPUs      = 2
	DefaultMemoryMiB = 1536
)

// VMConfig describes one VM booted from a node disk.
type VMConfig struct {
	// Name identifies the VM (its machine ID derives from it).
	Name string
	// Disk is the node disk; the VM writes only to its own overlay.
	Disk *Disk `json:"-"`
	// RunDir holds the VM's overlay, QMP and console sockets and pid
	// file. Keep it short: unix socket paths are limited to 108 bytes.
	RunDir string
	// SerialLog receives the serial console (kernel and first-boot
	// units); default RunDir/serial.log.
	SerialLog string
	// CPU, CPUs and MemoryMiB default to DefaultCPU, DefaultCPUs and
	// DefaultMemoryMiB.
	CPU       string
	CPUs      int
	MemoryMiB int
	// Env is this VM's identity and join data, passed through fw_cfg.
	Env map[string]string
	// Tap, when set, attaches the VM to that tap device; otherwise it
	// gets QEMU user-mode networking (outbound only).
	Tap string
	// MAC of the VM's NIC; default derived from Name.
	MAC string
	// LowPriority runs QEMU under nice and ionice's idle class.
	LowPriority bool
}

func (c VMConfig) withDefaults() VMConfig {
	if c.CPU == "" {
		c.CPU = DefaultCPU
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.MemoryMiB == 0 {
		c.MemoryMiB = DefaultMemoryMiB
	}
	if c.SerialLog == "" {
		c.SerialLog = filepath.Join(c.RunDir, "serial.log")
	}
	if c.MAC == "" {
		c.MAC = macFor(c.Name)
	}
	return c
}

// Files of a VM in its RunDir.
func (c VMConfig) overlayPath() string { return filepath.Join(c.RunDir, "disk.qcow2") }
func (c VMConfig) qmpPath() string     { return filepath.Join(c.RunDir, "qmp.sock") }
func (c VMConfig) consolePath() string { return filepath.Join(c.RunDir, "console.sock") }
func (c VMConfig) envPath() string     { return filepath.Join(c.RunDir, "env") }
func (c VMConfig) pidPath() string     { return filepath.Join(c.RunDir, "qemu.pid") }
func (c VMConfig) outPath() string     { return filepath.Join(c.RunDir, "qemu.log") }
func (c VMConfig) agentPath() string   { return filepath.Join(c.RunDir, "agent.sock") }
func (c VMConfig) savedPath() string   { return filepath.Join(c.RunDir, "vm.json") }

// idHash derives stable per-VM identifiers from its name.
func idHash(name string) []byte {
	h := sha256.Sum256([]byte("edgeproof-vm:" + name))
	return h[:]
}

// machineID is the VM's systemd machine ID: stable across power cycles of
// the same VM, different between VMs booted from one disk.
func machineID(name string) string { return hex.EncodeToString(idHash(name)[:16]) }

// macFor is a locally administered unicast MAC in QEMU's 52:54:00 range.
func macFor(name string) string {
	h := idHash(name)
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", h[16], h[17], h[18])
}

// nicID is the QEMU device id of a VM's network card (QMP set_link).
const nicID = "nic0"

// KernelCmdline is the kernel command line of a VM.
func (c VMConfig) KernelCmdline() string {
	// net.ifnames=0: the NIC is eth0, the only link networkd manages.
	// panic=-1 with -no-reboot: a panic ends QEMU at once, not a hang.
	return "console=ttyAMA0 root=/dev/vda rw net.ifnames=0 panic=-1 systemd.machine_id=" + machineID(c.Name)
}

// Args is QEMU's command line (after the program name) for c.
func (c VMConfig) Args() []string {
	c = c.withDefaults()
	netdev := "user,id=net0"
	if c.Tap != "" {
		netdev = "tap,id=net0,ifname=" + c.Tap + ",script=no,downscript=no"
	}
	return []string{
		"-name", c.Name,
		"-M", "virt", "-cpu", c.CPU, "-smp", strconv.Itoa(c.CPUs), "-m", strconv.Itoa(c.MemoryMiB),
		"-accel", "tcg,tb-size=256",
		"-display", "none", "-monitor", "none", "-no-reboot",
		"-kernel", c.Disk.Kernel, "-initrd", c.Disk.Initrd, "-append", c.KernelCmdline(),
		"-drive", "file=" + c.overlayPath() + ",if=none,id=disk0,format=qcow2",
		"-device", "virtio-blk-pci,drive=disk0",
		"-netdev", netdev,
		// romfile= : no PXE option ROM; the VM boots with -kernel, and
		// the ROM files come only with a recommended package.
		"-device", "virtio-net-pci,netdev=net0,id=" + nicID + ",romfile=,mac=" + c.MAC,
		"-fw_cfg", "name=" + FwCfgName + ",file=" + c.envPath(),
		"-chardev", "socket,id=console0,path=" + c.consolePath() + ",server=on,wait=off,logfile=" + c.SerialLog,
		"-serial", "chardev:console0",
		"-qmp", "unix:" + c.qmpPath() + ",server=on,wait=off",
		// The guest agent's port: commands for the node, as docker exec
		// gives them on kind nodes.
		"-device", "virtio-serial-pci,id=vser0",
		"-chardev", "socket,id=agent0,path=" + c.agentPath() + ",server=on,wait=off",
		"-device", "virtserialport,bus=vser0.0,chardev=agent0,name=" + vmagent.PortName,
		"-pidfile", c.pidPath(),
	}
}

// VM is a running (or exited) QEMU process, started by this process
// (StartVM) or by another one (OpenVM).
type VM struct {
	// Config is the configuration with defaults filled in.
	Config VMConfig
	// Started is when QEMU was started (by this process; for a VM found
	// by OpenVM, when it was found).
	Started time.Time
	pid     int
	// exited is closed when QEMU ends: by cmd.Wait for a child, by a
	// poller started on first need (done) for a VM found by OpenVM.
	exited   chan struct{}
	child    bool
	pollOnce sync.Once
	waitErr  error
}

// done is closed when QEMU has exited.
func (vm *VM) done() <-chan struct{} {
	if !vm.child {
		vm.pollOnce.Do(func() {
			go func() {
				for {
					if _, ok := qemuPID(vm.Config.RunDir); !ok {
						vm.waitErr = errors.New("exited")
						close(vm.exited)
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}()
		})
	}
	return vm.exited
}

// savedConfig is VMConfig as vm.json keeps it, for OpenVM.
type savedConfig struct {
	VMConfig
	DiskDir string
}

// OpenVM finds the VM whose run directory is runDir, running or not, as
// StartVM left it: another process (a chaos run) can then power it off,
// start it again or run commands in it.
func OpenVM(runDir string) (*VM, error) {
	var sc savedConfig
	if err := readJSON(filepath.Join(runDir, "vm.json"), &sc); err != nil {
		return nil, fmt.Errorf("VM in %s: %w", runDir, err)
	}
	d, err := OpenDisk(sc.DiskDir)
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", sc.Name, err)
	}
	sc.VMConfig.Disk = d
	vm := &VM{Config: sc.VMConfig, Started: time.Now(), exited: make(chan struct{})}
	if pid, running := qemuPID(runDir); running {
		vm.pid = pid
	} else {
		vm.waitErr = errors.New("not running")
		vm.pollOnce.Do(func() {})
		close(vm.exited)
	}
	return vm, nil
}

// StartVM creates the VM's overlay of the disk (keeping an existing one,
// so a VM restarted after a power loss finds its disk as it was), writes
// its fw_cfg env and starts QEMU.
func StartVM(ctx context.Context, cfg VMConfig) (*VM, error) {
	if cfg.Name == "" || cfg.Disk == nil || cfg.RunDir == "" {
		return nil, errors.New("starting a VM needs a Name, a Disk and a RunDir")
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.RunDir, 0o755); err != nil {
		return nil, fmt.Errorf("VM %s: %w", cfg.Name, err)
	}
	if _, err := os.Stat(cfg.overlayPath()); errors.Is(err, os.ErrNotExist) {
		if err := command.New("qemu-img", "create", "-q", "-f", "qcow2", "-b", cfg.Disk.Image, "-F", "raw", cfg.overlayPath()).Run(ctx); err != nil {
			return nil, fmt.Errorf("VM %s: creating its overlay: %w", cfg.Name, err)
		}
	}
	env, err := RenderEnv(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", cfg.Name, err)
	}
	if err := os.WriteFile(cfg.envPath(), env, 0o600); err != nil {
		return nil, fmt.Errorf("VM %s: writing its env: %w", cfg.Name, err)
	}
	if err := writeJSON(cfg.savedPath(), savedConfig{VMConfig: cfg, DiskDir: cfg.Disk.Dir}); err != nil {
		return nil, fmt.Errorf("VM %s: %w", cfg.Name, err)
	}
	// A console log of an earlier run would satisfy the boot wait; it is
	// kept as .prev, since a restart is often about what happened before.
	if err := os.Rename(cfg.SerialLog, cfg.SerialLog+".prev"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("VM %s: %w", cfg.Name, err)
	}
	out, err := os.Create(cfg.outPath())
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", cfg.Name, err)
	}
	defer out.Close()
	name, args := "qemu-system-aarch64", cfg.Args()
	if cfg.LowPriority {
		name, args = command.LowPriorityArgv(name, args)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a Ctrl-C meant for the test run does not
	// kill the VM behind the harness's back; Remove does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	vm := &VM{Config: cfg, Started: time.Now(), exited: make(chan struct{}), child: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("VM %s: starting qemu-system-aarch64: %w", cfg.Name, err)
	}
	vm.pid = cmd.Process.Pid
	go func() {
		vm.waitErr = cmd.Wait()
		close(vm.exited)
	}()
	return vm, nil
}

// PID is QEMU's process ID.
func (vm *VM) PID() int { return vm.pid }

// Exited reports whether QEMU has exited.
func (vm *VM) Exited() bool {
	select {
	case <-vm.exited:
		return true
	default:
	}
	if !vm.child {
		_, running := qemuPID(vm.Config.RunDir)
		return !running
	}
	return false
}

// waitExit waits up to d for QEMU to exit.
func (vm *VM) waitExit(d time.Duration) bool {
	select {
	case <-vm.done():
		return true
	case <-time.After(d):
		return false
	}
}

// qemuOutput is the tail of QEMU's own stdout/stderr, for errors.
func (vm *VM) qemuOutput() string { return tailFile(vm.Config.outPath()) }

// PowerOff cuts the VM's power: QMP quit, as a power loss (the guest gets
// no chance to shut down). It falls back to SIGKILL when QMP does not
// answer.
func (vm *VM) PowerOff(ctx context.Context) error {
	if vm.Exited() {
		return nil
	}
	qerr := vm.qmpRun(ctx, `{"execute":"quit"}`)
	if vm.waitExit(10 * time.Second) {
		return nil
	}
	if vm.pid > 0 {
		_ = syscall.Kill(vm.pid, syscall.SIGKILL)
	}
	if !vm.waitExit(10 * time.Second) {
		return fmt.Errorf("VM %s: qemu (pid %d) did not exit after SIGKILL", vm.Config.Name, vm.PID())
	}
	if qerr != nil {
		return fmt.Errorf("VM %s: QMP quit failed, killed instead: %w", vm.Config.Name, qerr)
	}
	return nil
}

// Remove powers the VM off if needed and deletes its overlay, sockets and
// env file. The serial log stays when it lives outside RunDir.
func (vm *VM) Remove(ctx context.Context) error {
	err := vm.PowerOff(ctx)
	if rerr := os.RemoveAll(vm.Config.RunDir); rerr != nil {
		return errors.Join(err, fmt.Errorf("VM %s: removing %s: %w", vm.Config.Name, vm.Config.RunDir, rerr))
	}
	return err
}

// Usage is a VM's resource use as the host sees it.
type Usage struct {
	// RSSBytes is QEMU's resident memory.
	RSSBytes int64
	// CPUSeconds is QEMU's user+system CPU time so far.
	CPUSeconds float64
}

// Usage reads QEMU's resident memory and CPU time from /proc.
func (vm *VM) Usage() (Usage, error) {
	pid := vm.PID()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Usage{}, fmt.Errorf("VM %s: %w", vm.Config.Name, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Usage{}, fmt.Errorf("VM %s: %w", vm.Config.Name, err)
	}
	return parseUsage(string(status), string(stat))
}

var rssRE = regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`)

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// parseUsage reads VmRSS from /proc/PID/status and utime+stime from
// /proc/PID/stat (fields 14 and 15, counted after the command name, which
// may hold spaces).
func parseUsage(status, stat string) (Usage, error) {
	var u Usage
	m := rssRE.FindStringSubmatch(status)
	if m == nil {
		return u, errors.New("no VmRSS in /proc status")
	}
	kb, _ := strconv.ParseInt(m[1], 10, 64)
	u.RSSBytes = kb * 1024
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return u, errors.New("malformed /proc stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return u, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, errors.New("malformed CPU times in /proc stat")
	}
	u.CPUSeconds = float64(ut+st) / clockTicks
	return u, nil
}

// Exec runs a command in the guest through its agent and returns its
// output (stdout and stderr); a failed command is a *vmagent.ExitError.
func (vm *VM) Exec(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	if vm.Exited() {
		return nil, fmt.Errorf("VM %s: exec %s: the VM is not running", vm.Config.Name, strings.Join(args, " "))
	}
	out, err := vmagent.Exec(ctx, vm.Config.agentPath(), stdin, args...)
	if err != nil {
		return out, fmt.Errorf("VM %s: %w", vm.Config.Name, err)
	}
	return out, nil
}

// AgentTimeout bounds how long Start and Reset wait for a booting guest's
// agent: boot under TCG took up to 2m40s beside a second VM on 2 cores.
var AgentTimeout = 5 * time.Minute

// bootID is the guest kernel's boot id, or "" when the agent does not
// answer within a few seconds.
func (vm *VM) bootID(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := vm.Exec(ctx, nil, "cat", "/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// waitAgent waits until the guest's agent answers from a boot other than
// notBoot (the boot before a reset; "" for any), within AgentTimeout. A
// VM that stops on the way fails at once, with its console's last lines.
func (vm *VM) waitAgent(ctx context.Context, notBoot string) error {
	ctx, cancel := context.WithTimeout(ctx, AgentTimeout)
	defer cancel()
	for {
		if vm.Exited() {
			return fmt.Errorf("VM %s stopped while booting:\n%s", vm.Config.Name, tailFile(vm.Config.SerialLog))
		}
		if id := vm.bootID(ctx); id != "" && id != notBoot {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("VM %s: its agent did not answer within %s of the boot: %w\n%s", vm.Config.Name, AgentTimeout, ctx.Err(), tailFile(vm.Config.SerialLog))
		case <-time.After(time.Second):
		}
	}
}
