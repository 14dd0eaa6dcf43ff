package clusters

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// GuardComment tags the rules guardServiceCIDR adds. It deliberately does
// not start with the chaos rules' "edgeproof:" prefix: the rules belong to
// the cluster, not to a fault, and go with its nodes.
const GuardComment = "service CIDR guard: no un-translated Service traffic leaves the node"

// guardServiceCIDR makes every node reject a packet still addressed to the
// Service CIDR after kube-proxy's NAT, instead of routing it out of the
// node's default route.
//
// Why: a connection opened to a ClusterIP in the instant before kube-proxy
// has translated it (a Service just created, or its first endpoint just
// added) leaves through the node's default route. Where the host network
// answers such a connection (here, a transparent egress proxy answers TLS
// on any address with 404), the client keeps that connection: the
// aggregator's availability check in kube-apiserver reused one for as long
// as the process lived, so metrics.k8s.io stayed unavailable with
// "FailedDiscoveryCheck ... 404" while metrics-server answered the same
// request with 200. Rejected instead, the connection fails at once and the
// next one is translated. Packets kube-proxy has translated carry a pod
// address by the time the filter table sees them, so only leaks match.
func guardServiceCIDR(ctx context.Context, c *Cluster, cs kubernetes.Interface) error {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	for _, kn := range nodes.Items {
		n, err := c.Node(ctx, kn.Name)
		if err != nil {
			return err
		}
		if err := GuardNode(ctx, cs, n); err != nil {
			return err
		}
	}
	return nil
}

// GuardNode adds the Service CIDR guard to one node where it is missing:
// at cluster setup, and again after the node restarted (a kind node gets a
// new network namespace). A cluster without the "kubernetes" ServiceCIDR
// object (before Kubernetes 1.33) gets no guard.
func GuardNode(ctx context.Context, cs kubernetes.Interface, n *Node) error {
	cidr, err := cs.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the cluster's Service CIDR: %w", err)
	}
	for _, block := range cidr.Spec.CIDRs {
		for _, chain := range []string{"OUTPUT", "FORWARD"} {
			rule := []string{chain, "-d", block, "-m", "comment", "--comment", GuardComment, "-j", "REJECT"}
			if _, err := n.Exec(ctx, append([]string{"iptables", "-C"}, rule...)...); err == nil {
				continue // already there
			}
			if _, err := n.Exec(ctx, append([]string{"iptables", "-A"}, rule...)...); err != nil {
				return fmt.Errorf("node %s: adding the Service CIDR guard to %s: %w", n.Name(), chain, err)
			}
		}
	}
	return nil
}
