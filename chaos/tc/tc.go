// Package tc shapes a node's egress with Linux traffic control: a token
// bucket (tbf) for bandwidth, and sch_netem for latency, jitter and
// correlated loss where the kernel has it. edgeproof only ever replaces
// the root qdisc of one device, so recovery deletes the root qdisc when it
// is one of the kinds edgeproof makes (tbf, netem) and leaves anything
// else alone.
package tc

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Execer runs commands on a node; *clusters.Node implements it.
type Execer interface {
	Exec(ctx context.Context, args ...string) ([]byte, error)
}

// Qdisc is one line of `tc qdisc show`.
type Qdisc struct {
	// Kind is the qdisc type: tbf, netem, noqueue, fq_codel, ...
	Kind string
	// Handle is e.g. "8001:".
	Handle string
	// Root is true for the device's root qdisc.
	Root bool
	// Parent is the parent class for non-root qdiscs, e.g. "1:1".
	Parent string
}

// Ours reports whether edgeproof makes qdiscs of this kind.
func (q Qdisc) Ours() bool { return q.Kind == "tbf" || q.Kind == "netem" }

// ParseShow parses `tc qdisc show dev DEV` output.
func ParseShow(out []byte) []Qdisc {
	var qs []Qdisc
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "qdisc" {
			continue
		}
		q := Qdisc{Kind: f[1], Handle: f[2]}
		for i := 3; i < len(f); i++ {
			switch f[i] {
			case "root":
				q.Root = true
			case "parent":
				if i+1 < len(f) {
					q.Parent = f[i+1]
				}
			}
		}
		qs = append(qs, q)
	}
	return qs
}

// Root returns the device's root qdisc, if it lists one.
func Root(ctx context.Context, node Execer, dev string) (Qdisc, bool, error) {
	out, err := node.Exec(ctx, "tc", "qdisc", "show", "dev", dev)
	if err != nil {
		return Qdisc{}, false, fmt.Errorf("listing qdiscs of %s: %w", dev, err)
	}
	for _, q := range ParseShow(out) {
		if q.Root {
			return q, true, nil
		}
	}
	return Qdisc{}, false, nil
}

// DeleteRoot deletes the device's root qdisc if edgeproof made it (tbf or
// netem), restoring the default. It reports whether it deleted one; with
// nothing to delete it does nothing, so recovery may run twice.
func DeleteRoot(ctx context.Context, node Execer, dev string) (bool, error) {
	q, ok, err := Root(ctx, node, dev)
	if err != nil || !ok || !q.Ours() {
		return false, err
	}
	if _, err := node.Exec(ctx, "tc", "qdisc", "del", "dev", dev, "root"); err != nil {
		return false, fmt.Errorf("deleting root qdisc %s of %s: %w", q.Kind, dev, err)
	}
	return true, nil
}

// TBF limits a device's egress rate with a token bucket.
type TBF struct {
	// BitsPerSecond is the rate.
	BitsPerSecond uint64
	// Burst is the bucket size in bytes.
	Burst uint32
	// Limit is the queue size in bytes; packets beyond it are dropped.
	Limit uint32
}

// Args is the tc command installing the bucket: as the root qdisc when
// parent is "" (replace, so a host's default root qdisc such as mq or
// fq_codel does not make it fail), or under parent (e.g. "1:1", below a
// netem root).
func (t TBF) Args(dev, parent string) []string {
	var args []string
	if parent == "" {
		args = []string{"tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:"}
	} else {
		args = []string{"tc", "qdisc", "add", "dev", dev, "parent", parent, "handle", "10:"}
	}
	return append(args, "tbf",
		"rate", strconv.FormatUint(t.BitsPerSecond, 10)+"bit",
		"burst", strconv.FormatUint(uint64(t.Burst), 10),
		"limit", strconv.FormatUint(uint64(t.Limit), 10))
}

// Netem delays and drops a device's egress; it needs sch_netem.
type Netem struct {
	// Latency is the added delay.
	Latency time.Duration
	// Jitter varies the delay around Latency.
	Jitter time.Duration
	// DelayCorrelation (percent) ties each delay to the previous one.
	DelayCorrelation float64
	// Loss is the percentage of packets dropped.
	Loss float64
	// LossCorrelation (percent) makes losses come in bursts.
	LossCorrelation float64
}

// Args is the tc command making netem the root qdisc (handle 1:, so a
// tbf can hang below it at 1:1).
func (n Netem) Args(dev string) []string {
	args := []string{"tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "netem"}
	if n.Latency > 0 || n.Jitter > 0 {
		args = append(args, "delay", usec(n.Latency))
		if n.Jitter > 0 {
			args = append(args, usec(n.Jitter))
			if n.DelayCorrelation > 0 {
				args = append(args, pct(n.DelayCorrelation))
			}
		}
	}
	if n.Loss > 0 {
		args = append(args, "loss", pct(n.Loss))
		if n.LossCorrelation > 0 {
			args = append(args, pct(n.LossCorrelation))
		}
	}
	return args
}

func usec(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + "us" }

func pct(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

// probeScript adds a netem qdisc to a throwaway veth pair inside the node,
// so the probe never touches the node's real interfaces, removes it, and
// prints a verdict: "ok", "absent: <tc's error>" or "unknown: <why>".
const probeScript = `ip link del epnetem0 >/dev/null 2>&1
if ! err=$(ip link add epnetem0 type veth peer name epnetem1 2>&1); then
  echo "unknown: cannot create a veth pair to probe with: $err"; exit 0
fi
if err=$(tc qdisc add dev epnetem0 root netem delay 1ms 2>&1); then v=ok; else v="absent: $err"; fi
ip link del epnetem0 >/dev/null 2>&1
echo "$v"`

// ProbeNetem tries sch_netem on the node by adding a netem qdisc to a
// temporary veth pair. It returns whether netem works, and an error when
// the probe itself could not tell.
func ProbeNetem(ctx context.Context, node Execer) (bool, error) {
	out, err := node.Exec(ctx, "sh", "-c", probeScript)
	if err != nil {
		return false, fmt.Errorf("probing sch_netem: %w", err)
	}
	return ParseProbe(out)
}

// ParseProbe interprets the netem probe's verdict.
func ParseProbe(out []byte) (bool, error) {
	v := strings.TrimSpace(string(out))
	switch {
	case v == "ok":
		return true, nil
	case strings.HasPrefix(v, "absent:"):
		return false, nil
	case strings.HasPrefix(v, "unknown: "):
		return false, fmt.Errorf("probing sch_netem: %s", strings.TrimPrefix(v, "unknown: "))
	}
	return false, fmt.Errorf("probing sch_netem: unexpected output %q", v)
}
