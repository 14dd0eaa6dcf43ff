package native

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/edgeproof/edgeproof/chaos"
	"github.com/edgeproof/edgeproof/chaos/journal"
	"github.com/edgeproof/edgeproof/clusters"
	"github.com/edgeproof/edgeproof/scenarios"
)

// StressUnitPrefix starts the name of the transient systemd units that run
// node stress; the leak check looks for it.
const StressUnitPrefix = "edgeproof-stress-"

// StressCommand is the systemd-run command that stresses a node without
// any image: CPU workers are busy shell loops, capped together at
// workers x load percent with CPUQuota; memory workers each hold
// memBytes in a tail(1) buffer fed from /dev/zero. Stopping the unit ends
// every worker.
func StressCommand(unit string, s *scenarios.StressParams, memBytes uint64) []string {
	args := []string{"systemd-run", "--unit=" + unit, "--collect", "--quiet"}
	var script []string
	if c := s.CPU; c != nil && c.Workers > 0 {
		if c.Load != nil && *c.Load < 100 {
			args = append(args, "-p", fmt.Sprintf("CPUQuota=%d%%", int64(c.Workers)*int64(*c.Load)))
		}
		script = append(script, fmt.Sprintf("for i in $(seq %d); do (while :; do :; done) & done", c.Workers))
	}
	if m := s.Memory; m != nil && m.Workers > 0 {
		script = append(script, fmt.Sprintf("for i in $(seq %d); do ({ head -c %d /dev/zero; exec sleep infinity; } | tail) & done", m.Workers, memBytes))
	}
	script = append(script, "wait")
	return append(args, "sh", "-c", strings.Join(script, "\n"))
}

// MemoryBytes is a memory stressor's size in bytes per worker: a byte
// count with unit, or a percentage of available (MemAvailable) memory.
func MemoryBytes(size string, memAvailable uint64) (uint64, error) {
	if pct, ok := strings.CutSuffix(strings.TrimSpace(size), "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, fmt.Errorf("invalid memory size %q", size)
		}
		return uint64(float64(memAvailable) * v / 100), nil
	}
	n, err := v1alpha1.ParseUnit(size)
	if err != nil {
		return 0, fmt.Errorf("invalid memory size %q: %w", size, err)
	}
	return n, nil
}

// MemAvailable parses MemAvailable from /proc/meminfo, in bytes.
func MemAvailable(meminfo []byte) (uint64, error) {
	for _, line := range strings.Split(string(meminfo), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing %q: %w", line, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no MemAvailable in /proc/meminfo")
}

// stress runs node-level stress as a transient systemd unit per node;
// recovery stops the unit.
func (b *Backend) stress(ctx context.Context, f scenarios.Fault) (chaos.Recover, error) {
	if f.Stress == nil {
		return nil, errors.New("stress needs stress parameters")
	}
	names, nodes, err := b.targets(ctx, f)
	if err != nil {
		return nil, err
	}
	id := b.Journal.NewID()
	unit := StressUnitPrefix + id
	actions := make([]journal.Action, len(names))
	for i, n := range names {
		actions[i] = journal.Action{Op: journal.OpSystemctlStop, Node: n, Unit: unit}
	}
	in, err := b.begin(ctx, f, id, names, actions)
	if err != nil {
		return nil, err
	}
	err = each(ctx, nodes, func(ctx context.Context, n *clusters.Node) error {
		var mem uint64
		if m := f.Stress.Memory; m != nil {
			avail := uint64(0)
			if strings.HasSuffix(strings.TrimSpace(m.Size), "%") {
				out, err := n.Exec(ctx, "cat", "/proc/meminfo")
				if err != nil {
					return err
				}
				if avail, err = MemAvailable(out); err != nil {
					return err
				}
			}
			var err error
			if mem, err = MemoryBytes(m.Size, avail); err != nil {
				return err
			}
		}
		_, err := n.Exec(ctx, StressCommand(unit, f.Stress, mem)...)
		return err
	})
	return in.finish(ctx, err, false)
}
