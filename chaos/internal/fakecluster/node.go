package fakecluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/edgeproof/edgeproof/clusters"
)

// baseRule is a rule every fake node has, as kube-proxy would add.
const baseRule = `-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD`

// Node is a fake node.
type Node struct {
	b    *Driver
	name string

	mu         sync.Mutex
	state      string
	rules      [][]string // filter rules, as "-A CHAIN args..." words
	root       string     // root qdisc kind of eth0
	child      string     // qdisc under the root, if any
	units      map[string]bool
	linkDown   bool
	boots      int // how many times the node started
	containers []Container
	files      map[string][]byte // under /run, which a boot empties
	// Lacking, when set, is what the node cannot do and why (see
	// clusters.Limited), as a node reached only through an agent.
	Lacking map[clusters.Op]string
	// Remote makes the node unattended (clusters.Unattended): faults on
	// it arm a dead-man timer, as on a node reached through an agent.
	Remote bool
	// Refuse, when set, is why faults may not target the node (see
	// clusters.Guarded), as a node its owner did not opt in.
	Refuse string
	// ControlPlane refuses faults on the node as a control-plane node of
	// a cluster edgeproof did not create, unless the target allows it.
	ControlPlane bool
	// Switched gives the node a power switch outside it
	// (clusters.PowerSwitch), as an existing cluster's power hook: it can
	// lose power even if Lacking says otherwise, and its State says
	// running whatever its power, as the API does until it notices.
	Switched bool
	// SwitchErr is what the switch's CheckPower returns.
	SwitchErr error
	// ExecHook, when set, runs before the emulation; returning handled
	// true skips it.
	ExecHook func(args []string, stdin []byte) (out []byte, err error, handled bool)
}

// switched is a Node seen through its power switch (Node.Switched).
type switched struct{ *Node }

// CheckPower implements clusters.PowerSwitch.
func (s switched) CheckPower(context.Context) error { return s.SwitchErr }

// ArmPowerOn implements clusters.PowerSwitch: recorded as a call.
func (s switched) ArmPowerOn(_ context.Context, at time.Time) error {
	s.b.record("%s arm-power-on %s", s.name, at.Format(time.RFC3339))
	return nil
}

// State implements clusters.NodeOps: a node without power still looks
// running.
func (s switched) State(context.Context) (string, error) { return "running", nil }

// Lacks implements clusters.Limited.
func (s switched) Lacks(op clusters.Op) string {
	if op == clusters.OpPower {
		return ""
	}
	return s.Node.Lacks(op)
}

// Container is a running container crictl can see on the node.
type Container struct {
	// ID is the container id crictl prints.
	ID string
	// Name is the container's name in the pod spec.
	Name string
	// Pod and Namespace name the container's pod.
	Pod, Namespace string
}

// Unattended implements clusters.Unattended.
func (n *Node) Unattended() bool { return n.Remote }

// Guard implements clusters.Guarded.
func (n *Node) Guard() error {
	if n.Refuse != "" {
		return errors.New(n.Refuse)
	}
	if n.ControlPlane {
		return &clusters.ControlPlaneError{Node: n.name}
	}
	return nil
}

// Lacks implements clusters.Limited.
func (n *Node) Lacks(op clusters.Op) string { return n.Lacking[op] }

func newNode(b *Driver, name string) *Node {
	n := &Node{b: b, name: name}
	n.boot()
	return n
}

// boot resets what a container restart resets: netfilter, qdiscs and
// services come up fresh.
func (n *Node) boot() {
	n.boots++
	n.state = "running"
	n.rules = [][]string{split(baseRule)}
	n.root, n.child = "noqueue", ""
	n.units = map[string]bool{"kubelet": true, "containerd": true}
	n.linkDown = false
	n.files = map[string][]byte{}
}

// File returns a file the node holds, and whether it exists.
func (n *Node) File(path string) ([]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	b, ok := n.files[path]
	return b, ok
}

// SetFile writes a file on the node.
func (n *Node) SetFile(path string, data []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.files[path] = data
}

// LinkUp reports whether the node's network link is up.
func (n *Node) LinkUp() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.linkDown
}

// SetLink implements clusters.Linker (a veth's host end: refused while
// the node has no network namespace).
func (n *Node) SetLink(_ context.Context, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	n.b.record("%s link %s", n.name, state)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state == "exited" {
		return fmt.Errorf("fake: node %s has no link while exited", n.name)
	}
	n.linkDown = !up
	return nil
}

// SetState forces the node's state (running, paused, exited).
func (n *Node) SetState(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.state = s
}

// AddContainer makes a container visible to crictl ps.
func (n *Node) AddContainer(c Container) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.containers = append(n.containers, c)
}

// Containers returns the running containers.
func (n *Node) Containers() []Container {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.containers)
}

// Rules returns the node's filter rules as iptables-save lines.
func (n *Node) Rules() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.saveLines()
}

// Qdisc returns the kinds of eth0's root and child qdiscs.
func (n *Node) Qdisc() (root, child string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.root, n.child
}

// UnitActive reports whether a systemd unit is active.
func (n *Node) UnitActive(u string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.units[u]
}

// SetUnit sets a unit active or not.
func (n *Node) SetUnit(u string, active bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.units[u] = active
}

// Name implements clusters.NodeOps.
// RemoveUnit makes a unit unknown to the node, as on a distribution that
// names it otherwise.
func (n *Node) RemoveUnit(u string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.units, u)
}

func (n *Node) Name() string { return n.name }

func (n *Node) transition(op string, from []string, to string) error {
	n.b.record("%s %s", n.name, op)
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(from, n.state) {
		return fmt.Errorf("fake: cannot %s node %s in state %s", op, n.name, n.state)
	}
	if op == "start" && n.state != "running" {
		n.boot()
		return nil
	}
	n.state = to
	return nil
}

// Stop implements clusters.NodeOps (docker stop: fine on a stopped node).
func (n *Node) Stop(context.Context) error {
	return n.transition("stop", []string{"running", "exited"}, "exited")
}

// Start implements clusters.NodeOps (docker start: fine on a running
// node, refused on a paused one).
func (n *Node) Start(context.Context) error {
	return n.transition("start", []string{"running", "exited"}, "running")
}

// Kill implements clusters.NodeOps.
func (n *Node) Kill(context.Context) error {
	return n.transition("kill", []string{"running"}, "exited")
}

// Pause implements clusters.NodeOps.
func (n *Node) Pause(context.Context) error {
	return n.transition("pause", []string{"running"}, "paused")
}

// Resume implements clusters.NodeOps (docker unpause: refused unless
// paused).
func (n *Node) Resume(context.Context) error {
	return n.transition("resume", []string{"paused"}, "running")
}

// State implements clusters.NodeOps.
func (n *Node) State(context.Context) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state, nil
}

// Exec implements clusters.NodeOps by emulating node commands.
func (n *Node) Exec(_ context.Context, stdin []byte, args ...string) ([]byte, error) {
	n.b.record("%s exec %s", n.name, strings.Join(args, " "))
	if n.ExecHook != nil {
		if out, err, ok := n.ExecHook(args, stdin); ok {
			return out, err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.state != "running" {
		return nil, fmt.Errorf("fake: node %s is %s, not running", n.name, n.state)
	}
	if len(args) == 0 {
		return nil, errors.New("fake: no command")
	}
	switch args[0] {
	case "iptables-save":
		return []byte("# Generated by fake\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
			strings.Join(n.saveLines(), "\n") + "\nCOMMIT\n"), nil
	case "iptables-restore":
		return nil, n.restore(string(stdin))
	case "iptables", "tc", "crictl", "systemd-run":
		if len(args) == 2 && (args[1] == "-V" || args[1] == "--version") {
			return []byte(args[0] + " fake\n"), nil
		}
	}
	switch args[0] {
	case "true":
		return nil, nil
	case "tc":
		return n.tc(args[1:])
	case "systemctl":
		return n.systemctl(args[1:])
	case "systemd-run":
		for _, a := range args[1:] {
			if u, ok := strings.CutPrefix(a, "--unit="); ok {
				n.units[u] = true
				return nil, nil
			}
		}
		return nil, errors.New("fake: systemd-run without --unit")
	case "crictl":
		return n.crictl(args[1:])
	case "cat":
		if len(args) == 2 && args[1] == "/proc/meminfo" {
			return []byte("MemTotal:       2048000 kB\nMemAvailable:   1024000 kB\n"), nil
		}
		if b, ok := n.files[args[len(args)-1]]; ok && len(args) == 2 {
			return b, nil
		}
		return nil, fmt.Errorf("fake: cat: %s: no such file", args[len(args)-1])
	case "sh":
		return n.shell(args, stdin)
	}
	return nil, fmt.Errorf("fake: unknown command %q", strings.Join(args, " "))
}

// stopTimer matches the timer stops of a disarm script.
var stopTimer = regexp.MustCompile(`systemctl stop (edgeproof-\S+)\.timer`)

// catFile matches the reads of a file under /run in a script.
var catFile = regexp.MustCompile(`cat (/run/\S+)`)

// shell recognises the scripts edgeproof runs with sh -c.
func (n *Node) shell(args []string, stdin []byte) ([]byte, error) {
	if len(args) < 3 || args[1] != "-c" {
		return nil, fmt.Errorf("fake: unknown shell call %q", args)
	}
	script := args[2]
	if m := stopTimer.FindAllStringSubmatch(script, -1); m != nil && strings.HasPrefix(script, "systemctl stop ") {
		// Disarming a fault's timers, and reading when it healed.
		for _, u := range m {
			n.units[u[1]] = false
		}
		if strings.Contains(script, "rm -f /run/edgeproof/") {
			for f := range n.files {
				if strings.HasPrefix(f, "/run/edgeproof/") {
					delete(n.files, f)
				}
			}
		}
		if c := catFile.FindStringSubmatch(script); c != nil {
			return n.files[c[1]], nil
		}
		return nil, nil
	}
	if path, ok := strings.CutPrefix(script, "umask 077 && mkdir -p /run/edgeproof && cat > "); ok {
		n.files[path] = stdin
		return nil, nil
	}
	switch {
	case strings.Contains(script, "boot_id"):
		// A container keeps the host's boot id; its PID 1 starts anew.
		return fmt.Appendf(nil, "fake-boot-id\n%d\n", n.boots), nil
	case strings.Contains(script, "epnetem0"):
		if n.b.NoNetem {
			return []byte("absent: Error: Specified qdisc kind is unknown.\n"), nil
		}
		return []byte("ok\n"), nil
	case strings.HasPrefix(script, `systemctl stop "$1"`) && len(args) == 5:
		n.units[args[4]] = false
		return nil, nil
	case strings.Contains(script, "/sys/class/net/eth0/carrier"):
		if n.linkDown {
			return []byte("none\n"), nil
		}
		return []byte("1\n"), nil
	case strings.Contains(script, "systemctl list-units"):
		var out []string
		for u, on := range n.units {
			if on && strings.HasPrefix(u, "edgeproof-") {
				out = append(out, u+".service")
			}
		}
		slices.Sort(out)
		return []byte(strings.Join(out, "\n")), nil
	}
	return nil, fmt.Errorf("fake: unknown script %q", script)
}

func (n *Node) saveLines() []string {
	out := make([]string, len(n.rules))
	for i, r := range n.rules {
		words := slices.Clone(r)
		for j := range words {
			if j > 0 && words[j-1] == "--comment" {
				words[j] = `"` + words[j] + `"` // iptables-save quotes comments
			}
		}
		out[i] = strings.Join(words, " ")
	}
	return out
}

// restore applies iptables-restore --noflush input atomically: -I inserts
// at the top, -D deletes an exactly matching rule or fails everything.
func (n *Node) restore(input string) error {
	rules := slices.Clone(n.rules)
	for ln, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "COMMIT" || line[0] == '*' {
			continue
		}
		w := split(line)
		if len(w) < 2 {
			return fmt.Errorf("fake iptables-restore: line %d failed", ln+1)
		}
		for i := 2; i+1 < len(w); i++ {
			if (w[i] == "-d" || w[i] == "-s") && !strings.Contains(w[i+1], "/") {
				w[i+1] += "/32" // iptables normalises addresses
			}
		}
		rule := append([]string{"-A"}, w[1:]...)
		switch w[0] {
		case "-I":
			rules = append([][]string{rule}, rules...)
		case "-D":
			i := slices.IndexFunc(rules, func(r []string) bool { return slices.Equal(r, rule) })
			if i < 0 {
				return fmt.Errorf("fake iptables-restore: line %d failed: rule not found", ln+1)
			}
			rules = slices.Delete(rules, i, i+1)
		default:
			return fmt.Errorf("fake iptables-restore: line %d: unsupported %s", ln+1, w[0])
		}
	}
	n.rules = rules
	return nil
}

func (n *Node) tc(args []string) ([]byte, error) {
	line := strings.Join(args, " ")
	switch {
	case strings.HasPrefix(line, "qdisc show dev eth0"):
		out := fmt.Sprintf("qdisc %s 1: root refcnt 2\n", n.root)
		if n.root == "noqueue" {
			out = "qdisc noqueue 0: root refcnt 2\n"
		}
		if n.child != "" {
			out += fmt.Sprintf("qdisc %s 10: parent 1:1 rate 1Mbit\n", n.child)
		}
		return []byte(out), nil
	case strings.HasPrefix(line, "qdisc del dev eth0 root"):
		if n.root == "noqueue" {
			return nil, errors.New("fake tc: Error: Cannot delete qdisc with handle of zero.")
		}
		n.root, n.child = "noqueue", ""
		return nil, nil
	case strings.HasPrefix(line, "qdisc add dev eth0 "), strings.HasPrefix(line, "qdisc replace dev eth0 "):
		kind := ""
		for _, k := range []string{"tbf", "netem"} {
			if slices.Contains(args, k) {
				kind = k
			}
		}
		if kind == "" {
			return nil, fmt.Errorf("fake tc: unsupported %q", line)
		}
		if kind == "netem" && n.b.NoNetem {
			return nil, errors.New("fake tc: Error: Specified qdisc kind is unknown.")
		}
		if slices.Contains(args, "root") {
			if args[0] == "add" && n.root != "noqueue" {
				return nil, errors.New("fake tc: RTNETLINK answers: File exists")
			}
			n.root, n.child = kind, ""
			return nil, nil
		}
		if n.root != "netem" || n.child != "" {
			return nil, errors.New("fake tc: RTNETLINK answers: Invalid argument")
		}
		n.child = kind
		return nil, nil
	}
	return nil, fmt.Errorf("fake tc: unsupported %q", line)
}

func (n *Node) systemctl(args []string) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("fake systemctl: no verb")
	}
	unit := args[len(args)-1]
	switch args[0] {
	case "start":
		n.units[unit] = true
	case "stop":
		n.units[unit] = false
	case "kill":
		n.units[unit] = false // Restart= would bring it back within a second
	case "is-active":
		var out []string
		inactive := false
		for _, u := range args[1:] {
			if strings.HasPrefix(u, "-") {
				continue
			}
			if n.units[u] {
				out = append(out, "active")
			} else {
				out = append(out, "inactive")
				inactive = true
			}
		}
		if inactive {
			return []byte(strings.Join(out, "\n") + "\n"), errors.New("exit status 3")
		}
		return []byte(strings.Join(out, "\n") + "\n"), nil
	case "show": // show -p LoadState --value UNIT...: one block per unit
		var out []string
		for _, u := range args[1:] {
			if strings.HasPrefix(u, "-") || u == "LoadState" {
				continue
			}
			if _, ok := n.units[u]; ok {
				out = append(out, "loaded")
			} else {
				out = append(out, "not-found")
			}
		}
		return []byte(strings.Join(out, "\n\n") + "\n"), nil
	default:
		return nil, fmt.Errorf("fake systemctl: unsupported %q", args)
	}
	return nil, nil
}

func (n *Node) crictl(args []string) ([]byte, error) {
	switch args[0] {
	case "ps":
		var name, pod, ns string
		for i := 1; i+1 < len(args); i++ {
			switch args[i] {
			case "--name":
				name = strings.TrimSuffix(strings.TrimPrefix(args[i+1], "^"), "$")
			case "--label":
				k, v, _ := strings.Cut(args[i+1], "=")
				switch k {
				case "io.kubernetes.pod.name":
					pod = v
				case "io.kubernetes.pod.namespace":
					ns = v
				}
			}
		}
		var ids []string
		for _, c := range n.containers {
			if c.Name == name && c.Pod == pod && (ns == "" || c.Namespace == ns) {
				ids = append(ids, c.ID)
			}
		}
		return []byte(strings.Join(ids, "\n") + "\n"), nil
	case "stop":
		for _, id := range args[1:] {
			if strings.HasPrefix(id, "-") || id == "0" {
				continue
			}
			i := slices.IndexFunc(n.containers, func(c Container) bool { return c.ID == id })
			if i < 0 {
				return nil, fmt.Errorf("fake crictl: no container %s", id)
			}
			n.containers = slices.Delete(n.containers, i, i+1)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("fake crictl: unsupported %q", args)
}

// split breaks a rule line into words, dropping double quotes.
func split(line string) []string {
	var words []string
	var cur strings.Builder
	quoted, in := false, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted, in = !quoted, true
		case c == ' ' && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
