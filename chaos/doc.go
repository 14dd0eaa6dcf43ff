// Package chaos is edgeproof's fault-injection layer: the Injector
// interface the scenario engine drives, the errors that route or skip a
// fault, and the Resolver that turns a scenario's target (nodes, zone,
// node labels, Chaos Mesh pod selector) into concrete node and pod names.
//
// Backends live in subpackages: native (kind nodes through docker,
// systemctl, iptables, tc and crictl) and chaosmesh (Chaos Mesh custom
// resources); route picks one per fault. Every injection is written to
// the cluster's journal (package journal) before it happens, with data
// that package recovery can replay to undo it, and package leak lists
// anything left behind.
package chaos
