// Command edgeproof-agent is the node agent edgeproof runs, as a privileged
// DaemonSet, on clusters it did not create. Idle, it waits to be stopped;
// edgeproof reaches each node by executing "edgeproof-agent host CMD..."
// in the agent's pod, through the Kubernetes API, so nothing needs Docker,
// SSH or a port of its own on the node.
//
// The pod shares the host's PID and network namespaces and mounts the
// host's root at HostRoot; "host" enters that root and runs the host's own
// binaries (iptables, tc, systemctl, ctr), so they act on the host exactly
// as they would from a shell on it.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// HostRoot is where the DaemonSet mounts the host's root filesystem.
const HostRoot = "/host"

// hostPath is PATH inside the host root: the usual places, plus where k3s
// and microk8s install their tools.
const hostPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/var/lib/rancher/k3s/data/current/bin:/snap/bin"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "host" {
		args := os.Args[2:]
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		if err := hostExec(args); err != nil {
			fmt.Fprintln(os.Stderr, "edgeproof-agent:", err)
			os.Exit(127)
		}
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: edgeproof-agent [host CMD [ARG...]]")
		os.Exit(2)
	}
	// Idle until the DaemonSet is deleted.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

// hostExec replaces this process with args[0] run inside the host's root.
// The network and PID namespaces are the host's already (hostNetwork,
// hostPID), so after the chroot the command sees the host as its own.
func hostExec(args []string) error {
	if len(args) == 0 {
		return errors.New("host: no command")
	}
	if err := syscall.Chroot(HostRoot); err != nil {
		return fmt.Errorf("entering the host root %s: %w", HostRoot, err)
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("entering the host root: %w", err)
	}
	env := []string{"PATH=" + hostPath, "LANG=C", "HOME=/root"}
	if err := os.Setenv("PATH", hostPath); err != nil {
		return err
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fmt.Errorf("on the host: %w", err)
	}
	return syscall.Exec(path, args, env)
}
