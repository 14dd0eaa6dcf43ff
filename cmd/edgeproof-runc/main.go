// Command edgeproof-runc is an OCI runtime wrapper that dockerd runs instead
// of runc on hosts whose capability bounding set is incomplete. It removes
// the capabilities the host cannot grant from the spec runc is about to
// apply, then execs the real runc with unchanged arguments.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/edgeproof/edgeproof/host/capfilter"
)

// candidates are where Debian and upstream packages install runc.
var candidates = []string{"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "edgeproof-runc:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	mask, err := capfilter.BoundingSet()
	if err != nil {
		return err
	}
	if drop := capfilter.Missing(mask); len(drop) > 0 {
		for _, f := range capfilter.SpecFiles(args) {
			if _, err := os.Stat(f); err != nil {
				continue // runc itself reports a missing bundle better
			}
			if err := capfilter.StripSpecFile(f, drop); err != nil {
				return err
			}
		}
	}
	runc := os.Getenv("EDGEPROOF_REAL_RUNC")
	if runc == "" {
		for _, c := range candidates {
			if _, err := os.Stat(c); err == nil {
				runc = c
				break
			}
		}
	}
	if runc == "" {
		p, err := exec.LookPath("runc")
		if err != nil {
			return fmt.Errorf("no runc found: %w", err)
		}
		runc = p
	}
	return syscall.Exec(runc, append([]string{"runc"}, args...), os.Environ())
}
