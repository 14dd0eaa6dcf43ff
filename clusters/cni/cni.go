// Package cni is the node agent behind edgeproof's pod network: on every
// node it writes a ptp/host-local CNI config for the node's podCIDR and
// keeps one route per other node's podCIDR via that node's address. It runs
// as a DaemonSet, so after a node restarts (power loss, reboot) the agent
// starts again and puts the routes back without help from outside.
package cni

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RouteProtocol marks routes the agent owns, so it can remove the routes
// of nodes that left without touching anyone else's.
const RouteProtocol netlink.RouteProtocol = 0x45

// ConfigName is the file the agent writes in the CNI config folder.
const ConfigName = "10-edgeproof.conflist"

// Agent keeps one node's CNI config and routes in line with the cluster.
type Agent struct {
	Client   kubernetes.Interface
	NodeName string
	CNIDir   string
	// Interval between full reconciliations; node changes are rare and a
	// restart is handled by the first pass, so polling is enough.
	Interval time.Duration
	Log      *slog.Logger
}

// Run reconciles until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.Interval)
	defer t.Stop()
	for {
		if err := a.Reconcile(ctx); err != nil {
			a.Log.Warn("reconcile failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Reconcile writes the config and routes once.
func (a *Agent) Reconcile(ctx context.Context) error {
	nodes, err := a.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	want := map[string]net.IP{}
	var own string
	for _, n := range nodes.Items {
		cidr, ip := n.Spec.PodCIDR, internalIP(&n)
		if n.Name == a.NodeName {
			own = cidr
			continue
		}
		if cidr != "" && ip != nil {
			want[cidr] = ip
		}
	}
	if own == "" {
		return fmt.Errorf("node %s has no podCIDR yet", a.NodeName)
	}
	if err := a.writeConfig(own); err != nil {
		return err
	}
	return a.syncRoutes(want)
}

func internalIP(n *corev1.Node) net.IP {
	for _, addr := range n.Status.Addresses {
		if addr.Type == corev1.NodeInternalIP {
			if ip := net.ParseIP(addr.Address); ip != nil && ip.To4() != nil {
				return ip
			}
		}
	}
	return nil
}

// Conflist returns the CNI config for a node's pod CIDR.
func Conflist(podCIDR string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "edgeproof",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"mtu":    1500,
				"ipam": map[string]any{
					"type": "host-local",
					// /run is a tmpfs in kind nodes: address leases start
					// empty after a node restart, as the pods do.
					"dataDir": "/run/edgeproof-cni-ipam",
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
					"ranges":  []any{[]any{map[string]any{"subnet": podCIDR}}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

func (a *Agent) writeConfig(podCIDR string) error {
	want, err := Conflist(podCIDR)
	if err != nil {
		return err
	}
	path := filepath.Join(a.CNIDir, ConfigName)
	if have, err := os.ReadFile(path); err == nil && string(have) == string(want) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		return fmt.Errorf("writing CNI config: %w", err)
	}
	// kubelet watches the folder; a rename makes the file appear whole.
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing CNI config: %w", err)
	}
	a.Log.Info("wrote CNI config", "podCIDR", podCIDR)
	return nil
}

func (a *Agent) syncRoutes(want map[string]net.IP) error {
	for cidr, gw := range want {
		_, dst, err := net.ParseCIDR(cidr)
		if err != nil {
			return fmt.Errorf("parsing podCIDR %q: %w", cidr, err)
		}
		r := &netlink.Route{Dst: dst, Gw: gw, Protocol: RouteProtocol}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s via %s: %w", cidr, gw, err)
		}
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("listing routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if _, ok := want[r.Dst.String()]; !ok {
			if err := netlink.RouteDel(&r); err != nil {
				return fmt.Errorf("removing stale route %s: %w", r.Dst, err)
			}
			a.Log.Info("removed route of departed node", "dst", r.Dst.String())
		}
	}
	return nil
}
