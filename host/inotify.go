package host

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// inotifyLimits are the minimums kind's documentation gives for running
// several clusters on one host. Every node's kubelet, kube-proxy and
// systemd take inotify instances from the one host kernel; at the usual
// default of 128 instances, a second cluster (or a node restarted a few
// times) makes kube-proxy fail with "too many open files", and a node
// that lost power then comes back without working Service routing.
var inotifyLimits = map[string]int{
	"max_user_instances": 512,
	"max_user_watches":   524288,
}

// inotifyDir is where the limits are read and written; a variable so tests
// can point it elsewhere.
var inotifyDir = "/proc/sys/fs/inotify"

// raiseInotify lifts every limit below its minimum and returns what it
// changed; limits already at or above it are left alone.
func raiseInotify() ([]string, error) {
	var changed []string
	for _, name := range []string{"max_user_instances", "max_user_watches"} {
		want := inotifyLimits[name]
		path := filepath.Join(inotifyDir, name)
		raw, err := os.ReadFile(path)
		if err != nil {
			return changed, fmt.Errorf("reading fs.inotify.%s: %w", name, err)
		}
		have, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			return changed, fmt.Errorf("fs.inotify.%s: %w", name, err)
		}
		if have >= want {
			continue
		}
		if err := os.WriteFile(path, []byte(strconv.Itoa(want)), 0o644); err != nil {
			return changed, fmt.Errorf("raising fs.inotify.%s from %d to %d (kind nodes share the host's limit): %w", name, have, want, err)
		}
		changed = append(changed, fmt.Sprintf("raised fs.inotify.%s from %d to %d (kind nodes share the host's inotify limits)", name, have, want))
	}
	return changed, nil
}
