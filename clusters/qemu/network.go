package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/edgeproof/edgeproof/internal/command"
)

// bridgeNet is a Docker bridge network as a VM on it sees it.
type bridgeNet struct {
	// Bridge is the Linux bridge device (br-<network id>).
	Bridge string
	// Subnet and Gateway are the network's IPv4 subnet and gateway.
	Subnet  netip.Prefix
	Gateway netip.Addr
	// Used are the addresses of the network's containers.
	Used map[netip.Addr]bool
}

// inspectBridge reads a Docker bridge network.
func inspectBridge(ctx context.Context, network string) (bridgeNet, error) {
	out, err := command.New("docker", "network", "inspect", network).Output(ctx)
	if err != nil {
		return bridgeNet{}, fmt.Errorf("inspecting Docker network %s: %w", network, err)
	}
	return parseBridge(network, out)
}

// parseBridge reads `docker network inspect` output.
func parseBridge(network string, raw []byte) (bridgeNet, error) {
	var nets []struct {
		ID      string `json:"Id"`
		Options map[string]string
		IPAM    struct {
			Config []struct{ Subnet, Gateway string }
		}
		Containers map[string]struct{ IPv4Address string }
	}
	if err := json.Unmarshal(raw, &nets); err != nil || len(nets) != 1 {
		return bridgeNet{}, fmt.Errorf("Docker network %s: unexpected inspect output (%v)", network, err)
	}
	n := nets[0]
	b := bridgeNet{Bridge: n.Options["com.docker.network.bridge.name"], Used: map[netip.Addr]bool{}}
	if b.Bridge == "" && len(n.ID) >= 12 {
		b.Bridge = "br-" + n.ID[:12]
	}
	for _, c := range n.IPAM.Config {
		p, err := netip.ParsePrefix(c.Subnet)
		if err != nil || !p.Addr().Is4() {
			continue
		}
		b.Subnet = p.Masked()
		if g, err := netip.ParseAddr(c.Gateway); err == nil {
			b.Gateway = g
		} else {
			b.Gateway = b.Subnet.Addr().Next()
		}
	}
	if !b.Subnet.IsValid() {
		return bridgeNet{}, fmt.Errorf("Docker network %s has no IPv4 subnet", network)
	}
	for _, c := range n.Containers {
		if p, err := netip.ParsePrefix(c.IPv4Address); err == nil {
			b.Used[p.Addr()] = true
		}
	}
	return b, nil
}

// vmAddress is the address of VM slot i (0-based) on b: counted down from
// the top of the subnet, since Docker's IPAM hands containers the lowest
// free addresses. An address a container holds is an error, not a
// silent clash.
func (b bridgeNet) vmAddress(i int) (netip.Addr, error) {
	last := broadcast(b.Subnet)
	a := last
	for range i + 1 {
		a = a.Prev()
	}
	if !b.Subnet.Contains(a) || a == b.Gateway || a == b.Subnet.Addr() {
		return netip.Addr{}, fmt.Errorf("subnet %s has no room for VM slot %d", b.Subnet, i)
	}
	if b.Used[a] {
		return netip.Addr{}, fmt.Errorf("VM address %s (slot %d) is held by a container on %s", a, i, b.Subnet)
	}
	return a, nil
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1 << host) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// tapName is a VM's tap device: short (IFNAMSIZ is 16) and derived from
// the VM's name, so a run after a crash finds and replaces its own tap.
func tapName(vmName string) string {
	return fmt.Sprintf("eptap%x", idHash(vmName)[:4])
}

// nodeTap is the tap of a cluster's VM node.
func nodeTap(cluster, node string) string { return tapName(cluster + "/" + node) }

// tapExists reports whether the tap device is present.
func tapExists(ctx context.Context, tap string) bool {
	return command.New("ip", "link", "show", tap).Run(ctx) == nil
}

// addTap creates the tap device and attaches it to the bridge; an
// existing one (from a crashed run) is replaced.
func addTap(ctx context.Context, tap, bridge string) error {
	_ = deleteTap(ctx, tap)
	for _, args := range [][]string{
		{"tuntap", "add", "dev", tap, "mode", "tap"},
		{"link", "set", tap, "master", bridge},
		{"link", "set", tap, "up"},
	} {
		if err := command.New("ip", args...).Run(ctx); err != nil {
			_ = deleteTap(ctx, tap)
			return fmt.Errorf("tap %s on %s: ip %s: %w", tap, bridge, strings.Join(args, " "), err)
		}
	}
	return nil
}

// deleteTap removes a tap device; a missing one is not an error.
func deleteTap(ctx context.Context, tap string) error {
	if !tapExists(ctx, tap) {
		return nil
	}
	if err := command.New("ip", "link", "del", tap).Run(ctx); err != nil {
		return fmt.Errorf("removing tap %s: %w", tap, err)
	}
	return nil
}
