package existing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/internal/command"
	"github.com/edgeproof/edgeproof/scenarios"
)

// An existing cluster's nodes lose power through the power hooks of the
// fleet file (scenarios.PowerHook): commands run here, on the machine that
// runs edgeproof, against the node's BMC, PDU, hypervisor or cloud. The
// agent cannot do it: it dies with its node.

// power is the hook that switches one node.
type power struct {
	hook *scenarios.PowerHook
	file string // the fleet file, for messages
	node scenarios.HookNode
	// armed holds the dead-man shells by node, shared by every power of a
	// driver (nodes are looked up afresh between a fault and its heal).
	armed *deadMen
}

// deadMen are the detached shells that will switch nodes on.
type deadMen struct {
	mu  sync.Mutex
	pid map[string]int // node -> process group of its shell
}

// powered is a node whose power a hook switches.
type powered struct {
	*node
	p *power
}

var (
	_ clusters.NodeOps     = (*powered)(nil)
	_ clusters.PowerSwitch = (*powered)(nil)
)

// Kill implements clusters.NodeOps: the hook's off command.
func (n *powered) Kill(ctx context.Context) error {
	_, err := n.p.run(ctx, "off", n.p.hook.Off)
	return err
}

// Start implements clusters.NodeOps: the hook's on command, after which
// the node's dead-man is no longer needed.
func (n *powered) Start(ctx context.Context) error {
	_, err := n.p.run(ctx, "on", n.p.hook.On)
	if err == nil {
		n.p.disarm()
	}
	return err
}

// ArmPowerOn implements clusters.PowerSwitch: a shell in its own session,
// which outlives this process, sleeps until at and then runs the hook's on
// command (which succeeds on a node that is on, so a shell left armed by a
// killed run does no harm after a later recover).
func (n *powered) ArmPowerOn(_ context.Context, at time.Time) error {
	script, err := scenarios.RenderHook(n.p.hook.On, n.p.node)
	if err != nil {
		return fmt.Errorf("%s: %w", n.p.what("on"), err)
	}
	sleep, err := sleepProgram()
	if err != nil {
		return fmt.Errorf("%s: starting its dead-man: %w", n.p.what("on"), err)
	}
	secs := int(time.Until(at).Seconds() + 0.999)
	cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf("%s %d && exec /bin/sh -c %s", command.Quote(sleep), max(secs, 0), command.Quote(script)))
	cmd.Env = n.p.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: starting its dead-man: %w", n.p.what("on"), err)
	}
	go func() { _ = cmd.Wait() }() // reaped while this process lives
	n.p.disarm()
	n.p.armed.mu.Lock()
	if n.p.armed.pid == nil {
		n.p.armed.pid = map[string]int{}
	}
	n.p.armed.pid[n.p.node.Name] = cmd.Process.Pid
	n.p.armed.mu.Unlock()
	return nil
}

// sleepProgram finds sleep(1) on PATH or where Debian and most
// distributions keep it: a dead-man whose sleep failed would switch the
// node on at once, before the fault.
func sleepProgram() (string, error) {
	if p, err := exec.LookPath("sleep"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/sleep", "/bin/sleep"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no sleep program on PATH, in /usr/bin or /bin")
}

// disarm stops the node's dead-man shell, if this process armed one.
func (p *power) disarm() {
	p.armed.mu.Lock()
	defer p.armed.mu.Unlock()
	if pid, ok := p.armed.pid[p.node.Name]; ok {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		delete(p.armed.pid, p.node.Name)
	}
}

// env is the environment of the hook's commands.
func (p *power) env() []string {
	return append(os.Environ(), "EDGEPROOF_NODE="+p.node.Name, "EDGEPROOF_NODE_ADDRESS="+p.node.Address)
}

// CheckPower implements clusters.PowerSwitch: the hook's status command,
// when it has one, must print "on".
func (n *powered) CheckPower(ctx context.Context) error {
	if n.p.hook.Status == "" {
		return nil
	}
	out, err := n.p.run(ctx, "status", n.p.hook.Status)
	if err != nil {
		return err
	}
	switch s := strings.ToLower(strings.TrimSpace(string(out))); s {
	case "on":
		return nil
	case "off":
		return fmt.Errorf("%s: its status says the node is off: power it on before a run", n.p.what("status"))
	default:
		return fmt.Errorf("%s printed %q: a status command prints on or off", n.p.what("status"), s)
	}
}

// Lacks implements clusters.Limited: a powered node can lose power.
func (n *powered) Lacks(op clusters.Op) string {
	if op == clusters.OpPower {
		return ""
	}
	return n.node.Lacks(op)
}

// what names the hook command for messages.
func (p *power) what(which string) string {
	return fmt.Sprintf("power hook %s (%s) %s for node %s", p.hook.Name, p.file, which, p.node.Name)
}

// run renders and runs one hook command with the hook's timeout, killing
// its whole process group when the time is up, and returns its stdout.
func (p *power) run(ctx context.Context, which, text string) ([]byte, error) {
	script, err := scenarios.RenderHook(text, p.node)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what(which), err)
	}
	timeout := p.hook.Timeout.Std()
	if timeout <= 0 {
		timeout = scenarios.DefaultHookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = p.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%s: timed out after %s: %s", p.what(which), timeout, script)
	case err != nil:
		return nil, fmt.Errorf("%s: %s: %w: %s", p.what(which), script, err, lastLine(stderr.String()+stdout.String()))
	}
	return stdout.Bytes(), nil
}

// lastLine is the last non-empty line of out, which is where a failing
// command says why.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// powerHooks finds each node's power hook in the fleet file. A node
// matched by two hooks, or a hook naming a node the cluster lacks, is an
// error: the run must not guess which command cuts a machine's power.
func powerHooks(f *scenarios.Fleet, nodes []corev1.Node, armed *deadMen) (map[string]*power, error) {
	out := map[string]*power{}
	if f == nil {
		return out, nil
	}
	have := map[string]bool{}
	for _, n := range nodes {
		have[n.Name] = true
		for i := range f.Spec.Power {
			h := &f.Spec.Power[i]
			if !h.Matches(n.Name, n.Labels) {
				continue
			}
			if prev := out[n.Name]; prev != nil {
				return nil, fmt.Errorf("fleet file %s: node %s matches power hooks %s and %s: a node needs exactly one", f.Source(), n.Name, prev.hook.Name, h.Name)
			}
			p := &power{hook: h, file: f.Source(), node: scenarios.HookNode{Name: n.Name, Address: internalIP(n), Labels: n.Labels}, armed: armed}
			for which, text := range map[string]string{"off": h.Off, "on": h.On, "status": h.Status} {
				if _, err := scenarios.RenderHook(text, p.node); text != "" && err != nil {
					return nil, fmt.Errorf("fleet file %s: %s: %w", f.Source(), p.what(which), err)
				}
			}
			out[n.Name] = p
		}
	}
	for _, h := range f.Spec.Power {
		for _, name := range h.Nodes {
			if !have[name] {
				return nil, fmt.Errorf("fleet file %s: power hook %s names node %s, which the cluster does not have", f.Source(), h.Name, name)
			}
		}
	}
	return out, nil
}

// internalIP is the node's InternalIP address, or "".
func internalIP(n corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}
