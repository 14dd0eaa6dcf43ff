// Package host inspects and prepares the machine edgeproof runs on: which
// faults it can perform (doctor) and what it must set up first so that kind
// clusters start (prepare).
package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/edgeproof/edgeproof/host/capfilter"
	"github.com/edgeproof/edgeproof/internal/command"
)

// Capability is one fact about the host and what it means for edgeproof.
type Capability struct {
	// Name of the capability, e.g. "netem".
	Name string `json:"name"`
	// Value as detected, e.g. "absent" or "v1".
	Value string `json:"value"`
	// OK is false when the value limits what edgeproof can do.
	OK bool `json:"ok"`
	// Meaning says which clusters or faults the value affects.
	Meaning string `json:"meaning"`
}

// Report is the set of host capabilities.
type Report struct {
	Capabilities []Capability `json:"capabilities"`
}

// Get returns the capability named name.
func (r Report) Get(name string) (Capability, bool) {
	for _, c := range r.Capabilities {
		if c.Name == name {
			return c, true
		}
	}
	return Capability{}, false
}

// Has reports whether capability name is present and OK.
func (r Report) Has(name string) bool {
	c, ok := r.Get(name)
	return ok && c.OK
}

// Names of the capabilities Detect reports.
const (
	CapEngine      = "docker-engine"
	CapCgroup      = "cgroup"
	CapNetem       = "netem"
	CapIptables    = "iptables"
	CapSysResource = "cap-sys-resource"
	CapKVM         = "kvm"
	CapArch        = "arch"
	CapQEMU        = "qemu-system-aarch64"
	CapKernel      = "kernel"
)

// Detect inspects the host. It changes nothing.
func Detect(ctx context.Context) Report {
	var r Report
	add := func(c Capability) { r.Capabilities = append(r.Capabilities, c) }

	if v, err := DockerServerVersion(ctx); err == nil {
		add(Capability{CapEngine, "docker " + v, true, "kind clusters and every node fault can run"})
	} else {
		add(Capability{CapEngine, "not answering", false, "no kind cluster can start; `edgeproof doctor --fix` installs/starts one on Debian"})
	}

	if cgroupV2() {
		add(Capability{CapCgroup, "v2", true, "kubelet runs with defaults"})
	} else {
		add(Capability{CapCgroup, "v1", true, "kubelet v1.34 still runs on cgroup v1; newer releases need failCgroupV1: false"})
	}

	if ok, why := netemWorks(ctx); ok {
		add(Capability{CapNetem, "present", true, "node-level latency, jitter, duplicate and corrupt faults can run"})
	} else {
		add(Capability{CapNetem, "absent (" + why + ")", false, "node-level latency/jitter faults are skipped; loss uses iptables statistic, bandwidth uses tbf, latency runs through the L4 proxy"})
	}

	if v, err := command.New("iptables", "-V").Output(ctx); err == nil {
		backend := "legacy"
		if strings.Contains(string(v), "nf_tables") {
			backend = "nft"
		}
		add(Capability{CapIptables, backend, true, "host side only; faults use the iptables inside each node (nft)"})
	} else {
		add(Capability{CapIptables, "absent", true, "host side only; faults use the iptables inside each node"})
	}

	if mask, err := capfilter.BoundingSet(); err == nil {
		if missing := capfilter.Missing(mask); len(missing) == 0 {
			add(Capability{CapSysResource, "in bounding set", true, "privileged containers run with plain runc"})
		} else {
			add(Capability{CapSysResource, "missing: " + strings.Join(missing, ","), false, "privileged containers need the edgeproof-runc runtime wrapper (installed by prepare)"})
		}
	}

	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
		f.Close()
		add(Capability{CapKVM, "usable", true, "same-arch VMs are accelerated; arm64 VMs still run under TCG"})
	} else {
		add(Capability{CapKVM, "absent", runtime.GOARCH != "arm64", "arm64 VMs run under TCG emulation either way"})
	}

	add(Capability{CapArch, runtime.GOARCH, true, "kind nodes run " + runtime.GOARCH + "; other archs need the qemu provider"})

	// One line per qemu provider prerequisite: each names its package.
	r.Capabilities = append(r.Capabilities, qemuCapabilities()...)

	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		add(Capability{CapKernel, utsString(u.Release[:]), true, "reported in the environment fingerprint"})
	}
	return r
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CAPABILITY\tVALUE\tOK\tMEANING")
	for _, c := range r.Capabilities {
		ok := "yes"
		if !c.OK {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Value, ok, c.Meaning)
	}
	tw.Flush()
}

// DockerServerVersion asks the engine for its version; an error means no
// engine answers.
func DockerServerVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := command.New("docker", "version", "--format", "{{.Server.Version}}").Output(ctx)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func cgroupV2() bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	const cgroup2Magic = 0x63677270
	return st.Type == cgroup2Magic
}

// netemWorks tries a netem qdisc on the loopback of a throwaway network
// namespace: module files or /proc listings can lie (built-in, blacklisted),
// a real attempt cannot, and the namespace takes the qdisc with it.
func netemWorks(ctx context.Context) (bool, string) {
	if _, err := lookPath("tc"); err != nil {
		return false, "no tc binary"
	}
	if _, err := lookPath("unshare"); err != nil {
		return false, "no unshare binary"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := command.New("unshare", "--net", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms").Run(ctx)
	if err != nil {
		return false, "kernel refused sch_netem"
	}
	return true, ""
}

func utsString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}
