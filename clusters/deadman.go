package clusters

// Unattended is implemented by NodeOps that edgeproof reaches only through
// the cluster itself (the existing provider's agent): if edgeproof dies,
// or the node is cut off, nothing outside the node can heal a fault on
// it. Faults on such nodes carry a dead-man timer on the node.
type Unattended interface {
	Unattended() bool
}

// Unattended reports whether faults on the node need a dead-man timer.
func (n *Node) Unattended() bool {
	u, ok := n.ops.(Unattended)
	return ok && u.Unattended()
}

// Unattended reports whether any node of the cluster may be unattended:
// the driver says so for all its nodes (the existing provider), so that
// clusters edgeproof created pay nothing for dead-man timers.
func (c *Cluster) Unattended() bool {
	if c == nil || c.p == nil {
		return false
	}
	u, ok := c.p.b.(Unattended)
	return ok && u.Unattended()
}
