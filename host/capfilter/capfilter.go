// Package capfilter removes Linux capabilities that the host cannot grant
// from OCI runtime specs. On hosts whose bounding set lacks a capability
// (seen: CAP_SYS_RESOURCE in some sandboxes), runc refuses to start any
// container that asks for it, and kind always asks for all of them.
package capfilter

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
)

// names maps capability numbers (linux/capability.h) to their OCI names.
var names = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// Missing returns the names of known capabilities absent from the bounding
// set mask (the CapBnd value of /proc/PID/status).
func Missing(bounding uint64) []string {
	var out []string
	for i, n := range names {
		if bounding&(1<<uint(i)) == 0 {
			out = append(out, n)
		}
	}
	return out
}

// BoundingSet reads the calling process's capability bounding set.
func BoundingSet() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("reading capability bounding set: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing CapBnd %q: %w", v, err)
			}
			return mask, nil
		}
	}
	return 0, fmt.Errorf("no CapBnd line in /proc/self/status")
}

// Count returns how many known capabilities the mask holds.
func Count(mask uint64) int {
	return bits.OnesCount64(mask & (1<<uint(len(names)) - 1))
}

// Strip removes the drop capabilities from every list in caps, an OCI
// "capabilities" object (bounding, effective, inheritable, permitted,
// ambient). It reports whether anything changed.
func Strip(caps map[string]any, drop []string) bool {
	deny := make(map[string]bool, len(drop))
	for _, d := range drop {
		deny[d] = true
	}
	changed := false
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(list))
		for _, c := range list {
			if s, ok := c.(string); ok && deny[s] {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	return changed
}

// StripSpecFile rewrites an OCI file in place: a bundle's config.json (caps
// under .process.capabilities) or an exec --process file (caps under
// .capabilities).
func StripSpecFile(path string, drop []string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	changed := false
	if caps, ok := doc["capabilities"].(map[string]any); ok {
		changed = Strip(caps, drop) || changed
	}
	if proc, ok := doc["process"].(map[string]any); ok {
		if caps, ok := proc["capabilities"].(map[string]any); ok {
			changed = Strip(caps, drop) || changed
		}
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	// Write beside and rename so runc never reads a half-written spec.
	tmp := path + ".edgeproof"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// SpecFiles returns the OCI files named by runc's arguments: the bundle's
// config.json for create/run (--bundle, -b) and the process file for exec
// (--process, -p).
func SpecFiles(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var flag, val string
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "-") {
			flag, val = k, v
		} else if i+1 < len(args) {
			flag, val = a, args[i+1]
		}
		switch flag {
		case "--bundle", "-b":
			out = append(out, strings.TrimRight(val, "/")+"/config.json")
		case "--process", "-p":
			out = append(out, val)
		}
	}
	return out
}
