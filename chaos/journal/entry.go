package journal

import (
	"fmt"
	"strings"
	"time"
)

// Op names a recovery operation. Recovery records are data, not closures,
// so that a later process (edgeproof recover) can heal what a crashed run
// left behind.
type Op string

// Recovery operations. Each is idempotent: applying it to a node that is
// already healed does nothing.
const (
	// OpStartNode boots a killed or stopped node (and thaws a paused one).
	OpStartNode Op = "start-node"
	// OpResumeNode thaws a paused node (and boots it if it is down).
	OpResumeNode Op = "resume-node"
	// OpIptablesFlushComment deletes every iptables rule on Node whose
	// comment is exactly Comment.
	OpIptablesFlushComment Op = "iptables-flush-comment"
	// OpTCDelRoot removes an edgeproof-made (tbf or netem) root qdisc from
	// Dev on Node.
	OpTCDelRoot Op = "tc-del-root"
	// OpSystemctlStart starts Unit on Node.
	OpSystemctlStart Op = "systemctl-start"
	// OpSystemctlStop stops Unit on Node (a transient unit edgeproof made).
	OpSystemctlStop Op = "systemctl-stop"
	// OpLinkUp brings Node's network link back up (node-link-down); a node
	// that is not running comes up with its link up anyway.
	OpLinkUp Op = "link-up"
	// OpPowerOn switches a node's power on through its power switch (see
	// clusters.PowerSwitch), whatever state the node reports: until the
	// API server notices, a node without power still looks running.
	OpPowerOn Op = "power-on"
	// OpDeleteCR deletes the custom resource APIVersion/Kind
	// Namespace/Name (a Chaos Mesh experiment).
	OpDeleteCR Op = "delete-cr"
)

// Action is one recovery step. Only the fields its Op uses are set.
type Action struct {
	// Op is what to do.
	Op Op `json:"op"`
	// Node is the node acted on (node operations).
	Node string `json:"node,omitempty"`
	// Unit is the systemd unit (systemctl-start, systemctl-stop).
	Unit string `json:"unit,omitempty"`
	// Comment is the iptables comment of the rules to delete.
	Comment string `json:"comment,omitempty"`
	// Dev is the network device (tc-del-root).
	Dev string `json:"dev,omitempty"`
	// APIVersion of the custom resource (delete-cr).
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind of the custom resource (delete-cr).
	Kind string `json:"kind,omitempty"`
	// Namespace of the custom resource (delete-cr).
	Namespace string `json:"namespace,omitempty"`
	// Name of the custom resource (delete-cr).
	Name string `json:"name,omitempty"`
}

// String describes the action for reports, e.g. "start-node kind-worker".
func (a Action) String() string {
	parts := []string{string(a.Op)}
	switch a.Op {
	case OpDeleteCR:
		parts = append(parts, a.Kind, a.Namespace+"/"+a.Name)
	default:
		for _, s := range []string{a.Node, a.Unit, a.Dev, a.Comment} {
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	return strings.Join(parts, " ")
}

// Entry is one injection: what was done and how to undo it.
type Entry struct {
	// ID is unique within the journal; iptables rules and custom
	// resources made by the injection carry it.
	ID string `json:"id"`
	// Cluster is the cluster the fault was injected into.
	Cluster string `json:"cluster,omitempty"`
	// Fault is the scenario's name for the fault.
	Fault string `json:"fault,omitempty"`
	// Kind is the fault kind (node-power-loss, ...).
	Kind string `json:"kind,omitempty"`
	// Backend is what injected it: native or chaos-mesh.
	Backend string `json:"backend,omitempty"`
	// Targets are the nodes or namespace/pod names hit.
	Targets []string `json:"targets,omitempty"`
	// Started is when the entry was written, just before the injection.
	Started time.Time `json:"started"`
	// Recovery lists the steps that undo the injection, in order.
	Recovery []Action `json:"recovery"`
	// CutOff is set when the fault cuts its nodes off from the API server
	// through which edgeproof reaches them (an existing cluster's agent):
	// timers on the nodes then apply and heal it, and it is shown in force
	// from the API.
	CutOff *CutOff `json:"cutOff,omitempty"`
}

// CutOff is when the nodes' own timers apply and heal a fault that cuts
// them off.
type CutOff struct {
	// Applies is when the nodes' timers apply the fault.
	Applies time.Time `json:"applies"`
	// Heals is when the nodes' dead-man timers heal it; the nodes cannot
	// be reached before.
	Heals time.Time `json:"heals"`
}

// String describes the entry for reports.
func (e Entry) String() string {
	return fmt.Sprintf("%s %s %q on %s", e.ID, e.Kind, e.Fault, strings.Join(e.Targets, ","))
}

// record is one line of the journal file.
type record struct {
	// Type is "begin" or "healed".
	Type  string    `json:"type"`
	ID    string    `json:"id"`
	Time  time.Time `json:"time"`
	Entry *Entry    `json:"entry,omitempty"`
}

const (
	typeBegin  = "begin"
	typeHealed = "healed"
)
